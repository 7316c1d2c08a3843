// Shared helpers for the interop clients: a stock y-websocket provider in Node, and waiting
// on events with a deadline (never on sleeps).
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

export const args = () => JSON.parse(process.argv[2])

/** A stock provider exactly as the PWA makes one, with `ws` standing in for the browser's. */
export const provider = (serverUrl, room, token, doc = new Y.Doc()) =>
  new WebsocketProvider(serverUrl, room, doc, {
    params: token ? { token } : {},
    WebSocketPolyfill: WebSocket,
    disableBc: true // one process may hold two providers of a room: they must talk via the server
  })

/** Resolve when `check()` is true, re-checking on every `event` of `emitter`; reject at `ms`. */
export const until = (emitter, event, check, ms = 10000, what = event) =>
  new Promise((resolve, reject) => {
    if (check()) return resolve()
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`timed out waiting for ${what}`))
    }, ms)
    const listener = () => {
      if (check()) {
        clearTimeout(timer)
        emitter.off(event, listener)
        resolve()
      }
    }
    emitter.on(event, listener)
  })

export const synced = (p) => until(p, 'sync', () => p.synced, 10000, 'sync')

export const done = (result, ...providers) => {
  for (const p of providers) p.destroy()
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
}

export const fail = (error) => {
  process.stdout.write(JSON.stringify({ error: String(error && error.message ? error.message : error) }) + '\n')
  process.exit(1)
}
