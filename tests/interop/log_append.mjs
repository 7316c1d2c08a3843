// A police client's stock provider on incident/<id>: waits for the server's `info`, appends
// `entry` to the log `log` (a Y.Array in the root Y.Map `incident`), then either
//   expect "kept":    a fresh provider sees the entry; prints {"kept": true, "log": [...]}
//   expect "refused": waits for the server to close; prints {"code", "warnings", "shouldConnect"}
// Usage: node log_append.mjs '{"server":..., "room":"incident/<id>", "token":..., "log":"dispatch",
//                              "entry":{...}, "expect":"kept"}'
import * as Y from 'yjs'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, room, token, log, entry, expect } = args()
const warnings = []
console.warn = (...parts) => warnings.push(parts.join(' '))
try {
  const p = provider(server, room, token)
  const closed = new Promise((resolve) => p.on('closed', resolve))
  await synced(p)
  const incident = p.doc.getMap('incident')
  await until(p.doc, 'update', () => incident.get('info') !== undefined, 10000, 'the incident info')
  incident.get(log).push([entry])
  if (expect === 'kept') {
    const check = new Y.Doc()
    const reader = provider(server, room, token, check)
    const has = () => (check.getMap('incident').get(log)?.toJSON() || []).some((e) => e.id === entry.id)
    await until(check, 'update', has, 10000, `entry ${entry.id} served back`)
    done({ kept: true, log: check.getMap('incident').get(log).toJSON() }, p, reader)
  } else {
    const timeout = new Promise((resolve, reject) => setTimeout(() => reject(new Error('timed out waiting for closed')), 10000))
    const event = await Promise.race([closed, timeout])
    done({ code: event.code, reason: event.reason, warnings, shouldConnect: p.shouldConnect }, p)
  }
} catch (error) {
  fail(error)
}
