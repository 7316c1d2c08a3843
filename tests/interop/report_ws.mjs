// A citizen's stock WebsocketProvider creates report/<id> the way the citizen app does (root Y.Map
// `report`, Y.Arrays for media and messages, created_at in ms), then a fresh provider proves the
// server kept it, and a provider on reply/<id> waits for the server's answer to the citizen.
// Prints {"report": {...}, "reply": {...}, "clientID": n}.
// Usage: node report_ws.mjs '{"server":"ws://h/sync","id":"<uuid>","token":"t",
//                             "report":{"category":..,"description":..,"lat":..,"lon":..,"accuracy":..},
//                             "replyStatus":"delivered"}'
import * as Y from 'yjs'
import { args, provider, synced, until, done, fail } from './lib.mjs'

const { server, id, token, report, replyStatus } = args()
try {
  const doc = new Y.Doc()
  const writer = provider(server, `report/${id}`, token, doc)
  await synced(writer)
  doc.transact(() => {
    const map = doc.getMap('report')
    for (const [key, value] of Object.entries(report)) map.set(key, value)
    map.set('created_at', Date.now())
    map.set('media', new Y.Array())
    map.set('messages', new Y.Array())
  })
  const want = JSON.stringify(doc.getMap('report').toJSON())
  const check = new Y.Doc()
  const reader = provider(server, `report/${id}`, token, check)
  await until(check, 'update', () => JSON.stringify(check.getMap('report').toJSON()) === want,
    10000, 'the server to serve the report back')
  const answer = new Y.Doc()
  const reply = provider(server, `reply/${id}`, token, answer)
  await until(answer, 'update', () => answer.getMap('reply').get('status') === replyStatus,
    15000, `reply status ${replyStatus}`)
  done({ report: check.getMap('report').toJSON(), reply: answer.getMap('reply').toJSON(), clientID: doc.clientID },
    writer, reader, reply)
} catch (error) {
  fail(error)
}
