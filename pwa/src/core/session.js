// Police sign-in on this device. The token is kept in localStorage (not only in the HttpOnly
// cookie the server also sets) because WebSocket sync needs it as `?token=` later; the CSP that
// forbids inline and foreign scripts is what keeps it from being read by injected code.
import { ApiError, request } from './api.js';

const STORAGE_KEY = 'sos.session';
// Who the server last signed out on its own (401 to the stored session), and when: an app may
// resume that officer's choices at their next sign-in (pwa/src/officer/duty.js). Written here
// because this check can answer before the app's own screens have even loaded.
export const ENDED_KEY = 'sos.session.ended';

/** The stored `{token, user}`, or null. Shared by the officer and center apps (same origin). */
export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(STORAGE_KEY));
    return session?.token && session?.user ? session : null;
  } catch {
    return null;
  }
}

function store(session) {
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
}

/** Keep `session` (`{token, user}`) as this device's: after a second step, a password change. */
export function storeSession(session) {
  store(session);
  return session;
}

/**
 * The password step. Returns the session, or, for an account with a second factor, the server's
 * `{second_factor, challenge, webauthn?}` (no token yet: core/account/second-step.js finishes it).
 */
export async function signIn(username, password) {
  const answer = await request('/api/auth/login', {
    method: 'POST',
    body: { username, password },
  });
  if (!answer?.token) return { secondStep: answer };
  return storeSession({ token: answer.token, user: answer.user });
}

/**
 * Ask the server whether a stored session still holds. Returns the fresh session, or null when the
 * server refused it (401: expired, revoked, deactivated). Network failures are thrown: offline is
 * the normal case in the field, and it is no reason to sign anyone out.
 */
export async function confirmSession(session) {
  try {
    const { user } = await request('/api/auth/me', { token: session.token });
    const fresh = { token: session.token, user };
    store(fresh);
    return fresh;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      store(null);
      try {
        localStorage.setItem(ENDED_KEY, JSON.stringify({ user: session.user.id, at: Date.now() }));
      } catch {
        // not remembered: that officer is asked again
      }
      return null;
    }
    throw error;
  }
}

export async function signOut(session) {
  store(null);
  try {
    await request('/api/auth/logout', { method: 'POST', token: session.token });
  } catch {
    // Offline or already expired: the device forgets the token either way, and the server
    // session ends by itself at its expiry.
  }
}
