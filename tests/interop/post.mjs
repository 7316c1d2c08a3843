// Builds sync messages with y-protocols' own encoders (step 1 + an update) and POSTs them as
// application/octet-stream, then applies the server's answer with y-protocols' decoder.
// Prints {"status": 200, "note": {...}} or {"status": 4xx, "error": {...}}.
// Usage: node post.mjs '{"url":"http://h/sync/note/1","token":"t","fields":{...}}'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { args, fail } from './lib.mjs'

const { url, token, fields } = args()
try {
  const doc = new Y.Doc()
  const before = Y.encodeStateVector(doc)
  doc.transact(() => {
    for (const [key, value] of Object.entries(fields || {})) doc.getMap('note').set(key, value)
  })
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0) // messageSync
  syncProtocol.writeSyncStep1(encoder, doc)
  if (fields) {
    encoding.writeVarUint(encoder, 0)
    syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(doc, before))
  }
  const body = encoding.toUint8Array(encoder)
  const send = () => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
    body
  })
  let response = await send()
  if (response.status === 200) response = await send() // a retry, as a service worker may do
  if (response.status !== 200) {
    process.stdout.write(JSON.stringify({ status: response.status, error: await response.json() }) + '\n')
    process.exit(0)
  }
  const answer = new Uint8Array(await response.arrayBuffer())
  const decoder = decoding.createDecoder(answer)
  const reply = encoding.createEncoder()
  while (decoding.hasContent(decoder)) {
    const type = decoding.readVarUint(decoder)
    if (type !== 0) throw new Error(`unexpected message type ${type}`)
    syncProtocol.readSyncMessage(decoder, reply, doc, 'server')
  }
  process.stdout.write(JSON.stringify({ status: 200, note: doc.getMap('note').toJSON() }) + '\n')
  process.exit(0)
} catch (error) {
  fail(error)
}
