// Subscribes with a stock provider to an incident document, prints {"ready": true} once synced,
// then waits until the Y.Array `log` of the root map `incident` holds an entry of each id in
// `ids`, and prints {"seen": [ids in the order they are in the log]}.
// Usage: node watch_log.mjs '{"server":..., "room":"incident/<id>", "token":..., "log":"timeline", "ids":[...]}'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, room, token, log, ids } = args()
try {
  const p = provider(server, room, token)
  await synced(p)
  process.stdout.write(JSON.stringify({ ready: true }) + '\n')
  const incident = p.doc.getMap('incident')
  const present = () => {
    const entries = incident.get(log)
    return entries ? entries.toArray().map((e) => (e.get ? e.get('id') : e.id)) : []
  }
  await until(p.doc, 'update', () => ids.every((id) => present().includes(id)), 20000, `${ids.length} entries in ${room}`)
  done({ seen: present().filter((id) => ids.includes(id)) }, p)
} catch (error) {
  fail(error)
}
