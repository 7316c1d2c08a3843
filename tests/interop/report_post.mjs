// A citizen's report sent over HTTP as the service worker's Background Sync does: y-protocols'
// own encoders build sync step 1 + an update creating report/<id> (root Y.Map `report`, Y.Arrays
// for media and messages), POSTed as application/octet-stream, then POSTed again (a retry);
// then a fresh document's step 1 reads the server's copy back (y-protocols' decoder).
// Prints {"status": 200, "statuses": [200, 200], "report": <the server's copy>}
// or {"status": 4xx, "statuses": [...], "error": {...}}.
// Usage: node report_post.mjs '{"url":"http://h/sync/report/<id>","token":"t","report":{...}}'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { args, fail } from './lib.mjs'

const { url, token, report } = args()
try {
  const doc = new Y.Doc()
  const before = Y.encodeStateVector(doc)
  doc.transact(() => {
    const map = doc.getMap('report')
    for (const [key, value] of Object.entries(report)) map.set(key, value)
    map.set('created_at', Date.now())
    map.set('media', new Y.Array())
    map.set('messages', new Y.Array())
  })
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0) // messageSync
  syncProtocol.writeSyncStep1(encoder, doc)
  encoding.writeVarUint(encoder, 0)
  syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(doc, before))
  const body = encoding.toUint8Array(encoder)
  const send = (content = body) => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
    body: content
  })
  const statuses = []
  let response = await send()
  statuses.push(response.status)
  if (response.status === 200) {
    await response.arrayBuffer()
    response = await send() // a retry, as Background Sync may do after a lost answer
    statuses.push(response.status)
  }
  if (response.status !== 200) {
    process.stdout.write(JSON.stringify({ status: response.status, statuses, error: await response.json() }) + '\n')
    process.exit(0)
  }
  await response.arrayBuffer()
  const server = new Y.Doc()
  const read = encoding.createEncoder()
  encoding.writeVarUint(read, 0)
  syncProtocol.writeSyncStep1(read, server)
  response = await send(encoding.toUint8Array(read))
  if (response.status !== 200) throw new Error(`reading back: ${response.status}`)
  const answer = new Uint8Array(await response.arrayBuffer())
  const decoder = decoding.createDecoder(answer)
  const reply = encoding.createEncoder()
  while (decoding.hasContent(decoder)) {
    const type = decoding.readVarUint(decoder)
    if (type !== 0) throw new Error(`unexpected message type ${type}`)
    syncProtocol.readSyncMessage(decoder, reply, server, 'server')
  }
  process.stdout.write(JSON.stringify({ status: 200, statuses, report: server.getMap('report').toJSON() }) + '\n')
  process.exit(0)
} catch (error) {
  fail(error)
}
