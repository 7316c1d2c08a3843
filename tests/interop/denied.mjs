// Connects a stock provider and reports how the server turned it away: the permission-denied
// reason (y-websocket logs it with console.warn) and the close code of the 'closed' event,
// which y-websocket emits for 4400-4499 and after which it stops reconnecting.
// With "fields", it first syncs and then writes them (an update the server should refuse).
// Usage: node denied.mjs '{"server":..., "room":..., "token":..., "fields": {...}?}'
import { args, provider, synced, fail } from './lib.mjs'

const { server, room, token, fields } = args()
const warnings = []
console.warn = (...parts) => warnings.push(parts.join(' '))
try {
  const p = provider(server, room, token)
  const closed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for closed')), 10000)
    p.on('closed', (event) => { clearTimeout(timer); resolve(event) })
  })
  if (fields) {
    await synced(p)
    p.doc.transact(() => {
      for (const [key, value] of Object.entries(fields)) p.doc.getMap('note').set(key, value)
    })
  }
  const event = await closed
  const result = { code: event.code, reason: event.reason, warnings, shouldConnect: p.shouldConnect }
  p.destroy()
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
} catch (error) {
  fail(error)
}
