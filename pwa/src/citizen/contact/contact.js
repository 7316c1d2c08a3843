// The citizen's optional contact for call-backs: kept on the phone, added to each new report,
// and given to the server for the device (`PUT /api/citizen/devices/me`) once there is a network.
import { request } from '../../core/api.js';
import { ensureDevice } from '../../core/device.js';
import { getPref, setPref } from '../store.js';

// The server's rule (app/identity/devices.py): digits, spaces, dots, dashes, an optional leading +.
export const PHONE = /^\+?[0-9 .-]{6,20}$/;

/** `{name, phone, synced}` or null when none was given. */
export const loadContact = () => getPref('contact').then((c) => c ?? null);

/** Whether the citizen has been asked once already (answered or skipped). */
export const wasAsked = () => getPref('contact_asked').then(Boolean);
export const markAsked = () => setPref('contact_asked', true);

/** The contact as a report document holds it: only what was given; null if nothing. */
export function reportContact(contact) {
  if (!contact) return null;
  const out = {};
  if (contact.name) out.name = contact.name;
  if (contact.phone) out.phone = contact.phone;
  return Object.keys(out).length ? out : null;
}

export async function saveContact({ name, phone }) {
  const contact = { name: name.trim(), phone: phone.trim(), synced: false };
  await setPref('contact', contact);
  await markAsked();
  return syncContact();
}

/** Send the stored contact if the server does not have it yet; true once it has. */
export async function syncContact() {
  const contact = await loadContact();
  if (!contact || contact.synced) return true;
  try {
    const device = await ensureDevice();
    await request('/api/citizen/devices/me', {
      method: 'PUT',
      token: device.token,
      body: { name: contact.name || null, phone: contact.phone || null },
    });
  } catch (error) {
    if (error.status === 0 || error.status === 429 || error.status >= 500) return false;
    throw error; // refused (422): the screen shows why
  }
  const current = await loadContact();
  if (current && current.name === contact.name && current.phone === contact.phone) {
    await setPref('contact', { ...current, synced: true });
  }
  return true;
}
