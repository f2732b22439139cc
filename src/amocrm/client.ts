// AmoClient: one per amoCRM account. Wires the request loop (request.ts), auth (auth.ts), rate limit and circuit,
// and exposes the resource groups. `baseUrl` overrides https://{domain} for every call, OAuth included (emulator).
import { TokenManager } from './auth.js';
import { CircuitBreaker, type CircuitOptions, type CircuitState } from './circuit.js';
import type { AmoTransport, CallInit, ListPage } from './core.js';
import { AmoAuthError } from './errors.js';
import { parseAccountHost, type AccountHost } from './hosts.js';
import { buildAuthorizeUrl, type OAuthCredentials } from './oauth.js';
import { buildQuery, withQuery, type QueryParams } from './query.js';
import { RateLimiter, defaultSleep, type RateLimitStore, type Sleep } from './rate-limit.js';
import { Reachability, type ReachabilityState } from './reachability.js';
import { Requester, type AmoLogger, type FetchLike, type AmoRequestInfo, type RequestOptions } from './request.js';
import { AccountResource } from './resources/account.js';
import { CompaniesResource } from './resources/companies.js';
import { ContactsResource } from './resources/contacts.js';
import { CustomFieldsResource } from './resources/custom-fields.js';
import { EventsResource } from './resources/events.js';
import { LeadsResource } from './resources/leads.js';
import { LinksResource } from './resources/links.js';
import { NotesResource } from './resources/notes.js';
import { PipelinesResource } from './resources/pipelines.js';
import { TagsResource } from './resources/tags.js';
import { TasksResource } from './resources/tasks.js';
import { UnsortedResource } from './resources/unsorted.js';
import { UsersResource } from './resources/users.js';
import { WebhooksResource } from './resources/webhooks.js';
import type { TokenSet, TokenStore } from './tokens.js';
import type { HalPage } from './types.js';

export interface AmoClientOptions {
  /** Account host: `sub.amocrm.ru`, `sub.kommo.com`, `sub.amocrm.com` or a URL on one of them. */
  domain: string;
  /** Overrides `https://{domain}` for every call (the emulator serves /oauth, /oauth2 and /api/v4 on one origin). */
  baseUrl?: string;
  oauth?: OAuthCredentials;
  tokens: TokenStore;
  rateLimit?: { store?: RateLimitStore; perSecond?: number; key?: string };
  circuit?: CircuitOptions;
  fetch?: FetchLike;
  logger?: AmoLogger;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
  timeoutMs?: number;
  maxRetries?: number;
  onRequest?: (info: AmoRequestInfo) => void;
  /** One info line per amoCRM call (method, path, query keys, status, ms, request id; never personal data). */
  audit?: boolean;
  /** Called when amoCRM stops or starts answering (besides the one log line per change). */
  onReachabilityChange?: (state: ReachabilityState) => void;
}

export class AmoClient implements AmoTransport {
  readonly account: AccountResource;
  readonly leads: LeadsResource;
  readonly contacts: ContactsResource;
  readonly companies: CompaniesResource;
  readonly pipelines: PipelinesResource;
  readonly customFields: CustomFieldsResource;
  readonly users: UsersResource;
  readonly notes: NotesResource;
  readonly tasks: TasksResource;
  readonly tags: TagsResource;
  readonly links: LinksResource;
  readonly unsorted: UnsortedResource;
  readonly events: EventsResource;
  readonly webhooks: WebhooksResource;

  /** The validated account host. */
  readonly host: AccountHost;
  /** Origin every call goes to (`https://{host}` or `baseUrl`). */
  readonly baseUrl: string;

  private readonly http: Requester;
  private readonly circuit: CircuitBreaker;
  private readonly reach: Reachability;
  private readonly auth: TokenManager;
  private readonly oauth: OAuthCredentials | undefined;

  constructor(opts: AmoClientOptions) {
    this.host = parseAccountHost(opts.domain);
    this.baseUrl = (opts.baseUrl ?? this.host.origin).replace(/\/+$/, '');
    this.oauth = opts.oauth;
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? defaultSleep;
    const logger = opts.logger;
    const userOnChange = opts.circuit?.onStateChange;
    this.circuit = new CircuitBreaker(
      {
        ...opts.circuit,
        onStateChange: (state) => {
          const fields = { state: state.state, openUntil: state.openUntil, reason: state.reason };
          if (state.state === 'open') logger?.warn(fields, 'amocrm circuit opened');
          else logger?.info(fields, 'amocrm circuit closed');
          userOnChange?.(state);
        },
      },
      now,
    );
    // One line per change of state, however many calls fail meanwhile (a flood of errors helps nobody).
    this.reach = new Reachability(now, (next, prev) => {
      if (next.state === 'unreachable') {
        logger?.warn({ error: next.error }, 'amocrm unreachable (no answer); logged again when it answers');
      } else if (prev.state === 'unreachable') {
        logger?.info({ downMs: (next.since ?? 0) - (prev.since ?? 0), failedCalls: prev.failures }, 'amocrm reachable again');
      }
      opts.onReachabilityChange?.(next);
    });
    const limiter = new RateLimiter({
      key: opts.rateLimit?.key ?? `amocrm:${this.host.host}`,
      now,
      sleep,
      ...(opts.rateLimit?.store ? { store: opts.rateLimit.store } : {}),
      ...(opts.rateLimit?.perSecond ? { perSecond: opts.rateLimit.perSecond } : {}),
    });
    this.http = new Requester({
      limiter,
      circuit: this.circuit,
      now,
      sleep,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
      ...(opts.audit ? { audit: true } : {}),
      reachability: this.reach,
    });
    this.auth = new TokenManager(opts.tokens, opts.oauth, { http: this.http, baseUrl: this.baseUrl, now }, opts.logger);

    this.account = new AccountResource(this);
    this.leads = new LeadsResource(this);
    this.contacts = new ContactsResource(this);
    this.companies = new CompaniesResource(this);
    this.pipelines = new PipelinesResource(this);
    this.customFields = new CustomFieldsResource(this);
    this.users = new UsersResource(this);
    this.notes = new NotesResource(this);
    this.tasks = new TasksResource(this);
    this.tags = new TagsResource(this);
    this.links = new LinksResource(this);
    this.unsorted = new UnsortedResource(this);
    this.events = new EventsResource(this);
    this.webhooks = new WebhooksResource(this);
  }

  circuitState(): CircuitState {
    return this.circuit.state();
  }

  /** Whether amoCRM answered the last call (`unknown` before the first). */
  reachability(): ReachabilityState {
    return this.reach.state();
  }

  /** Consent page URL (www.amocrm.ru / www.kommo.com, or `${baseUrl}/oauth` when baseUrl is set). */
  authorizeUrl(input: { state?: string; mode?: 'popup' | 'post_message'; useBaseUrl?: boolean }): string {
    if (!this.oauth) throw new TypeError('AmoClient: oauth credentials are not configured');
    return buildAuthorizeUrl({
      clientId: this.oauth.clientId,
      host: this.host,
      ...(input.state !== undefined ? { state: input.state } : {}),
      ...(input.mode ? { mode: input.mode } : {}),
      ...(input.useBaseUrl ? { baseUrl: this.baseUrl } : {}),
    });
  }

  /** Exchange an OAuth code for a pair and save it in the token store. */
  exchangeCode(code: string): Promise<TokenSet> {
    return this.auth.exchange(code);
  }

  /** Force a refresh now (e.g. a weekly keep-alive so the 3-month refresh token never lapses). */
  refreshTokens(): Promise<TokenSet> {
    return this.auth.forceRefresh();
  }

  async request<T>(method: string, pathOrUrl: string, init: CallInit = {}): Promise<T | null> {
    const url = this.resolve(pathOrUrl, init.query);
    const send = (token: string) =>
      this.http.send<T>({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(this.oauth ? { 'x-client-uuid': this.oauth.clientId } : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.opts ? { opts: init.opts } : {}),
      });
    const token = await this.auth.accessToken();
    try {
      return (await send(token)).data;
    } catch (e) {
      if (!(e instanceof AmoAuthError)) throw e;
      // 401: refresh once (single-flight; long-lived tokens → AmoReconnectRequiredError), then retry once.
      const fresh = await this.auth.refresh(token);
      return (await send(fresh.accessToken)).data;
    }
  }

  async list<T>(pathOrUrl: string, key: string, query?: QueryParams, opts?: RequestOptions): Promise<ListPage<T>> {
    const data = await this.request<HalPage<string, T>>('GET', pathOrUrl, {
      ...(query ? { query } : {}),
      ...(opts ? { opts } : {}),
    });
    if (!data) return { items: [], page: null, nextUrl: null, totalItems: null, pageCount: null };
    const items = data._embedded?.[key];
    return {
      items: Array.isArray(items) ? items : [],
      page: typeof data._page === 'number' ? data._page : null,
      nextUrl: data._links?.next?.href ?? null,
      totalItems: typeof data._total_items === 'number' ? data._total_items : null,
      pageCount: typeof data._page_count === 'number' ? data._page_count : null,
    };
  }

  async *iterate<T>(
    path: string,
    key: string,
    query?: QueryParams,
    opts?: RequestOptions,
  ): AsyncGenerator<T, void, undefined> {
    let page = await this.list<T>(path, key, query, opts);
    const seen = new Set<string>();
    for (;;) {
      yield* page.items;
      if (!page.nextUrl || page.items.length === 0 || seen.has(page.nextUrl)) return;
      seen.add(page.nextUrl);
      page = await this.list<T>(page.nextUrl, key, undefined, opts);
    }
  }

  /**
   * Absolute `_links` hrefs are reduced to path + query and re-based on our origin, so a link can never send
   * the bearer token to another host.
   */
  private resolve(pathOrUrl: string, query?: QueryParams): string {
    if (/^https?:\/\//i.test(pathOrUrl)) {
      const u = new URL(pathOrUrl);
      const search = [u.search.slice(1), query ? buildQuery(query) : ''].filter(Boolean).join('&');
      return `${this.baseUrl}${u.pathname}${search ? `?${search}` : ''}`;
    }
    if (!pathOrUrl.startsWith('/')) throw new RangeError('AmoClient: path must start with /');
    return `${this.baseUrl}${withQuery(pathOrUrl, query)}`;
  }
}
