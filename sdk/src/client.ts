import { Agent, request, type Dispatcher } from 'undici';
import { operations, type OperationId, type OperationMethods } from './generated/operations.ts';
import type { OperationInput, OperationOutput, RequestOptions } from './operation-types.ts';
import { errorFromResponse, MediavaultNetworkError } from './errors.ts';

export interface ClientOptions {
  /** The api's base URL, e.g. http://127.0.0.1:8080 (no /api suffix). */
  baseUrl: string;
  /** API token (mvt_...). */
  token: string;
  /** Bring your own undici dispatcher (proxy, mock); otherwise one keep-alive Agent is created. */
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export interface MediavaultClient extends OperationMethods {
  readonly baseUrl: string;
  /** Used for api calls and presigned part PUTs alike, so connections are reused. */
  readonly dispatcher: Dispatcher;
  /** The headers every api call carries (authorization, user-agent): for connections the client does not make itself, like the events WebSocket. */
  authHeaders(): Record<string, string>;
  /** Calls any operation by id; the typed methods are shorthands for this. */
  call<K extends OperationId>(
    operationId: K,
    input?: OperationInput<K>,
    options?: RequestOptions,
  ): Promise<OperationOutput<K>>;
  /** Closes the connections the client opened (not a dispatcher you passed in). */
  close(): Promise<void>;
}

interface AnyInput {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

export const sdkUserAgent = 'mediavault-sdk/0.1.0';

export function createClient(options: ClientOptions): MediavaultClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl))
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  const ownDispatcher = options.dispatcher ? null : new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  const userAgent = options.userAgent ?? sdkUserAgent;

  async function call(
    operationId: OperationId,
    input: AnyInput = {},
    requestOptions: RequestOptions = {},
  ): Promise<unknown> {
    const operation = operations[operationId];
    const url = new URL(baseUrl + expandPath(operation.path, input.params ?? {}));
    for (const [name, value] of Object.entries(input.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      // JSON, but for the few exports that answer text (a share's audit as CSV).
      accept: 'application/json, text/csv;q=0.9',
      'user-agent': userAgent,
    };
    if (requestOptions.requestId) headers['x-request-id'] = requestOptions.requestId;
    let body: string | undefined;
    if (input.body !== undefined) {
      body = JSON.stringify(input.body);
      headers['content-type'] = 'application/json';
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: operation.method,
        headers,
        body,
        dispatcher,
        signal: requestOptions.signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || requestOptions.signal?.aborted) throw err;
      throw new MediavaultNetworkError(url.toString(), err);
    }
    const text = await response.body.text();
    const requestId = headerValue(response.headers['x-request-id']);
    if (response.statusCode >= 400)
      throw errorFromResponse({ status: response.statusCode, body: text, requestId, operation: operationId });
    if (text === '') return undefined;
    const contentType = headerValue(response.headers['content-type']) ?? '';
    return contentType.startsWith('text/') ? text : JSON.parse(text);
  }

  const client = {
    baseUrl,
    dispatcher,
    call,
    authHeaders: () => ({ authorization: `Bearer ${options.token}`, 'user-agent': userAgent }),
    close: async () => {
      if (ownDispatcher) await ownDispatcher.close();
    },
  } as Record<string, unknown>;
  for (const id of Object.keys(operations) as OperationId[]) {
    client[id] = (input?: AnyInput, requestOptions?: RequestOptions) => call(id, input, requestOptions);
  }
  return client as unknown as MediavaultClient;
}

/** '/api/assets/{assetId}' + { assetId } → '/api/assets/<encoded id>'; a missing parameter is a caller bug. */
export function expandPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`path parameter ${name} is required for ${template}`);
    return encodeURIComponent(String(value));
  });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
