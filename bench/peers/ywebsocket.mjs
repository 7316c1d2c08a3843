// The reference y-websocket server (@y/websocket-server), as its own bin/server.js runs it, on
// `--port N`: documents in memory, no persistence (YPERSISTENCE unset). For `python -m bench peers`.
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end('okay') // also the benchmark's /healthz
})
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => wss.emit('connection', ws, request))
})
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
