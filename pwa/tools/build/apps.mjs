// The three front ends: where each lives, what it builds from, and how it looks when installed.
// Names and descriptions are strings, so they come from src/i18n/vi.json (keys `apps.<key>.*`).
export const APPS = [
  {
    key: 'citizen',
    path: '/',
    entry: 'src/citizen/main.js',
    css: 'src/citizen/citizen.css',
    // Loaded by import() after the first render (src/citizen/later.js), yet precached: a report
    // made offline after the first visit needs them.
    deferred: ['src/citizen/services.js', 'src/citizen/reports/screens.js'],
    themeColor: '#c8102e',
    iconBand: null,
  },
  {
    key: 'officer',
    path: '/officer/',
    entry: 'src/officer/main.js',
    css: 'src/officer/officer.css',
    themeColor: '#12305a',
    iconBand: [18, 48, 90],
  },
  {
    key: 'center',
    path: '/center/',
    entry: 'src/center/main.js',
    css: 'src/center/center.css',
    themeColor: '#1f2933',
    iconBand: [247, 190, 0],
  },
];
