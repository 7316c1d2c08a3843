import { html } from 'htm/preact';

// The four report categories of the domain (DESIGN §2), in the order a citizen sees them.
// Icons are drawn inline so that they cost no request and follow the tile's text colour.
const stroke = (paths) => html`
  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" focusable="false">${paths}</svg>
`;

export const CATEGORIES = [
  {
    code: 'crime',
    icon: stroke(html`
      <path d="M12 2.5 4.5 5.5V11c0 4.8 3.2 8.9 7.5 10.5 4.3-1.6 7.5-5.7 7.5-10.5V5.5z" />
      <path d="M12 8v4.5" /><path d="M12 15.8v.2" />
    `),
  },
  {
    code: 'traffic',
    icon: stroke(html`
      <path d="M5 12.5 6.8 7.2A2 2 0 0 1 8.7 6h6.6a2 2 0 0 1 1.9 1.2l1.8 5.3" />
      <path d="M3.5 12.5h17v4.5h-17z" />
      <path d="M6 17v2.5M18 17v2.5" /><path d="M7 14.7h.5M16.5 14.7h.5" />
    `),
  },
  {
    code: 'fire',
    icon: stroke(html`
      <path d="M12 21.5c3.9 0 6.5-2.7 6.5-6.4 0-3.7-2.4-6-3.9-8.6-.6 2-1.6 3.3-2.9 3.8.2-3.1-1.1-6-3.5-7.8.3 3.4-1.3 5.4-2.8 7.4-1.1 1.5-1.9 3.1-1.9 5.2 0 3.7 2.6 6.4 6.5 6.4z" />
      <path d="M12 21.5c-1.7 0-2.8-1.2-2.8-2.8 0-1.8 1.5-2.6 2.3-4.2.9 1 3.3 2.3 3.3 4.2 0 1.6-1.1 2.8-2.8 2.8z" />
    `),
  },
  {
    code: 'other',
    icon: stroke(html`
      <path d="M10.3 3.9 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" />
      <path d="M12 9v4.5" /><path d="M12 16.8v.2" />
    `),
  },
];
