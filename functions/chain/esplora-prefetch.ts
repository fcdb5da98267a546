/**
 * The chain handler's Esplora answers, fetched before it takes the node's
 * lease and replayed under it (docs/commit-protocol.md, "Outside the
 * lease"): `recording()` is the chain source with every GET answer kept (the
 * first per URL: a sync that saw the chain move replays one consistent view
 * and checks it as usual); `replaying()` answers a GET it kept from memory
 * and sends anything else to the chain source, counting it as a miss. The
 * answers are the chain source's own bytes and statuses, so the sync checks
 * them (block linkage, merkle proofs) exactly as if they came live.
 */
import type { EsploraClient } from '../../shared/chain/index.js';

interface KeptAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly body: Uint8Array;
}

function urlOf(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

function responseOf(answer: KeptAnswer): Response {
  return new Response(answer.body.slice(), { status: answer.status, statusText: answer.statusText });
}

export class EsploraPrefetch {
  readonly #answers = new Map<string, KeptAnswer>();
  #misses = 0;

  constructor(private readonly client: EsploraClient) {}

  /** GET answers kept so far. */
  get kept(): number {
    return this.#answers.size;
  }

  /** Requests `replaying()` had to send to the chain source (not kept). */
  get misses(): number {
    return this.#misses;
  }

  /** The chain source, keeping every GET answer (fetched before the lease). */
  recording(): EsploraClient {
    return this.client.withFetch((inner) => async (input, init) => {
      const response = await inner(input, init);
      if ((init?.method ?? 'GET') !== 'GET') return response;
      const answer: KeptAnswer = { status: response.status, statusText: response.statusText, body: new Uint8Array(await response.arrayBuffer()) };
      const url = urlOf(input);
      if (!this.#answers.has(url)) this.#answers.set(url, answer);
      return responseOf(answer);
    });
  }

  /** The kept answers (under the lease); what was not kept goes to the chain source. */
  replaying(): EsploraClient {
    return this.client.withFetch((inner) => async (input, init) => {
      const answer = (init?.method ?? 'GET') === 'GET' ? this.#answers.get(urlOf(input)) : undefined;
      if (answer !== undefined) return responseOf(answer);
      this.#misses++;
      return inner(input, init);
    });
  }
}
