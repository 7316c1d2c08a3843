// Subscribes as a reader, prints {"ready": true} once synced, then waits until the Y.Map `note`
// has `key` equal to `value` and prints {"seen": {...}}.
// Usage: node subscribe.mjs '{"server":..., "room":..., "token":..., "key":"text", "value":"x"}'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, room, token, key, value } = args()
try {
  const p = provider(server, room, token)
  await synced(p)
  process.stdout.write(JSON.stringify({ ready: true }) + '\n')
  const note = p.doc.getMap('note')
  await until(p.doc, 'update', () => note.get(key) === value, 15000, `${key} = ${value}`)
  done({ seen: note.toJSON() }, p)
} catch (error) {
  fail(error)
}
