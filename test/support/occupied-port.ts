import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** A port something else listens on, on loopback (a free one, never a fixed one), for the duration of `use`. */
export async function occupiedPort<T>(use: (port: number) => Promise<T>): Promise<T> {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  try {
    return await use((holder.address() as AddressInfo).port);
  } finally {
    holder.close();
  }
}
