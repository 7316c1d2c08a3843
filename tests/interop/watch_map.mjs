// Subscribes with a stock provider (a dispatcher's queue, an officer's unit inbox), prints
// {"ready": true} once synced, then one line {"appeared": key, "value": ...} as each of `keys`
// appears in the root Y.Map `root`, and finally {"seen": {key: value, ...}}.
// Usage: node watch_map.mjs '{"server":..., "room":"inbox/center", "token":..., "root":"incidents",
//                             "keys":["<id>", ...]}'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, room, token, root, keys, ms = 20000 } = args()
try {
  const p = provider(server, room, token)
  await synced(p)
  const map = p.doc.getMap(root)
  const present = keys.filter((key) => map.has(key))
  process.stdout.write(JSON.stringify({ ready: true, present }) + '\n')
  const announced = new Set()
  const announce = () => {
    for (const key of keys) {
      if (map.has(key) && !announced.has(key)) {
        announced.add(key)
        process.stdout.write(JSON.stringify({ appeared: key, value: map.get(key) }) + '\n')
      }
    }
    return announced.size === keys.length
  }
  await until(p.doc, "update", announce, ms, `${keys.join(', ')} in ${room}`)
  done({ seen: Object.fromEntries(keys.map((key) => [key, map.get(key)])) }, p)
} catch (error) {
  fail(error)
}
