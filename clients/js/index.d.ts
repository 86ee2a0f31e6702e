export declare const ANY: "*";

export type Status = "idle" | "connecting" | "live" | "reconnecting" | "unauthorized" | "closed";

export interface EventDetail<T = unknown> {
  topic: string;
  id: string;
  type: string;
  data: T;
  raw: string;
}

export type Handler<T = unknown> = (data: T, event: EventDetail<T>) => void;

export interface ClientOptions {
  /** The stream endpoint (default "/sse/stream/"); absolute in Node. */
  url?: string | URL;
  /** A token for the topics (cross-origin front ends); see fetchToken. */
  getToken?: (topics: string[]) => Promise<string> | string;
  /** fetch()'s credentials: "include" by default, "omit" with getToken. */
  credentials?: RequestCredentials;
  fetch?: typeof fetch;
  /** The first reconnect delay in ms (the server's retry: hint replaces it). */
  retryMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  /** Start right after this event id (e.g. rendered with the page's state). */
  lastEventId?: string | number;
}

export declare class SSEClient {
  constructor(options?: ClientOptions);
  readonly url: URL;
  readonly root: URL;
  readonly status: Status;
  readonly cursor: string;
  readonly topics: Set<string>;
  readonly credentials: RequestCredentials;
  readonly fetch: typeof fetch;
  subscribe<T = unknown>(topic: string, type: string, handler: Handler<T>): () => void;
  unsubscribe<T = unknown>(topic: string, type: string, handler: Handler<T>): void;
  onStatus(listener: (status: Status) => void): () => void;
  close(): void;
  report(error: unknown): void;
}

export declare function createClient(options?: ClientOptions): SSEClient;

export interface TokenOptions {
  csrfToken?: string;
  credentials?: RequestCredentials;
  fetch?: typeof fetch;
}

export declare function fetchToken(
  tokenUrl: string | URL,
  topics: string[],
  options?: TokenOptions,
): Promise<string>;
