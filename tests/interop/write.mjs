// A stock WebsocketProvider writes fields into the Y.Map `note`, then a second, fresh provider
// proves the server kept them. Prints {"seen": {...}}.
// Usage: node write.mjs '{"server":"ws://h/sync","room":"note/1","token":"t","fields":{...}}'
import * as Y from 'yjs'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, room, token, fields } = args()
try {
  const doc = new Y.Doc()
  const writer = provider(server, room, token, doc)
  await synced(writer)
  doc.transact(() => {
    for (const [key, value] of Object.entries(fields)) doc.getMap('note').set(key, value)
  })
  const check = new Y.Doc()
  const reader = provider(server, room, token, check)
  const want = JSON.stringify(doc.getMap('note').toJSON())
  await until(check, 'update', () => JSON.stringify(check.getMap('note').toJSON()) === want,
    10000, 'the server to serve the write back')
  done({ seen: check.getMap('note').toJSON(), clientID: doc.clientID }, writer, reader)
} catch (error) {
  fail(error)
}
