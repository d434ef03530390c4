import net from "node:net";

interface SocketInternals {
  _handle?: object | null;
}

/**
 * Re-wraps an accepted connection so its reads go into buffers of our choosing, as client
 * sockets can with `net.connect({ onread })`; Node offers no such option for the sockets a
 * server accepts. The handle moves into a new `net.Socket` (the constructor's `handle` option,
 * which Node's cluster and child_process use), and the accepted socket is released empty.
 * The server must be created with `pauseOnConnect` so no read happens before. Returns
 * undefined, leaving `accepted` untouched, when this Node does not look as expected.
 */
export function adoptWithOnRead(accepted: net.Socket, onread: net.OnReadOpts): net.Socket | undefined {
  const old = accepted as unknown as SocketInternals;
  const handle = old._handle;
  if (!handle || typeof handle !== "object") return undefined;
  let socket: net.Socket;
  try {
    const options = { handle, onread, readable: true, writable: true };
    socket = new net.Socket(options as net.SocketConstructorOpts);
  } catch {
    return undefined;
  }
  if ((socket as unknown as SocketInternals)._handle !== handle) {
    socket.destroy();
    return undefined;
  }
  // the accepted socket lets go of the handle; destroying it only updates the server's count
  old._handle = null;
  accepted.destroy();
  return socket;
}
