// Passkeys through the browser's own WebAuthn API. The server speaks JSON with base64url for every
// binary field (py_webauthn's options_to_json; it parses the same shape back); the browser wants
// and gives ArrayBuffers. Written out here (a few lines) rather than relying on
// PublicKeyCredential.parseCreationOptionsFromJSON / toJSON(), which phones from before 2024 lack.

/** Whether this browser can make and use passkeys at all. */
export const passkeysSupported = () => typeof PublicKeyCredential === 'function' && Boolean(navigator.credentials);

function decode(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
}

function encode(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const withIds = (list) => (list ?? []).map((c) => ({ ...c, id: decode(c.id) }));

/** What a registration and an assertion share, as the server reads it (base64url fields). */
const asJson = (credential, response) => ({
  id: credential.id,
  rawId: encode(credential.rawId),
  type: credential.type,
  authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  response,
});

/** navigator.credentials.create with the server's creation options; the credential as JSON. */
export async function createPasskey(options) {
  const publicKey = {
    ...options,
    challenge: decode(options.challenge),
    user: { ...options.user, id: decode(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  };
  const credential = await navigator.credentials.create({ publicKey });
  const { response } = credential;
  return asJson(credential, {
    clientDataJSON: encode(response.clientDataJSON),
    attestationObject: encode(response.attestationObject),
    transports: response.getTransports?.() ?? [],
  });
}

/** navigator.credentials.get with the server's request options; the assertion as JSON. */
export async function getPasskey(options) {
  const publicKey = {
    ...options,
    challenge: decode(options.challenge),
    allowCredentials: withIds(options.allowCredentials),
  };
  const credential = await navigator.credentials.get({ publicKey });
  const { response } = credential;
  return asJson(credential, {
    clientDataJSON: encode(response.clientDataJSON),
    authenticatorData: encode(response.authenticatorData),
    signature: encode(response.signature),
    userHandle: response.userHandle ? encode(response.userHandle) : undefined,
  });
}
