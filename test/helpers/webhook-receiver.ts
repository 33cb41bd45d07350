import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  body: Record<string, unknown>;
  /** The secrets (by position in `secrets`) whose signature verified. */
  verifiedWith: number[];
}

/**
 * An endpoint on loopback that verifies every request with the `standardwebhooks` package,
 * answers 503 while `down`, and keeps what it accepted.
 */
export class WebhookReceiver {
  readonly accepted: ReceivedWebhook[] = [];
  refusedWhileDown = 0;
  down = false;
  secrets: string[] = [];
  #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(request.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
        };
        if (this.down) {
          this.refusedWhileDown++;
          response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
          return;
        }
        const verifiedWith: number[] = [];
        this.secrets.forEach((secret, index) => {
          try {
            new Webhook(secret).verify(raw, headers);
            verifiedWith.push(index);
          } catch {
            // not signed with this secret
          }
        });
        if (verifiedWith.length === 0) {
          response.writeHead(401).end('bad signature');
          return;
        }
        this.accepted.push({ id: headers['webhook-id'], body: JSON.parse(raw), verifiedWith });
        response.writeHead(204).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (!address || typeof address !== 'object') throw new Error('receiver has no address');
    this.url = `http://127.0.0.1:${address.port}/hooks/refsync`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
