// Hocuspocus (@hocuspocus/server) on `--port N`, as its documentation's minimal server: no
// extensions (documents in memory, no storage), any token accepted. For `python -m bench peers`.
import { Server } from '@hocuspocus/server'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
const server = new Server({ port, address: '127.0.0.1', quiet: true })
server.listen()
