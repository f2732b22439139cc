// Token registry: auth codes, JWT-shaped access tokens, rotating refresh tokens (fact sheet §2.3–§2.8).
import { randomBytes, randomUUID } from 'node:crypto';
import type { TokenResponse } from '../amocrm/types.js';
import type { EmulatorConfig } from './options.js';

export const CODE_TTL_SEC = 20 * 60;
export const ACCESS_TTL_SEC = 24 * 3600;
export const REFRESH_TTL_SEC = 90 * 24 * 3600;

export interface AccessRec {
  userId: number;
  admin: boolean;
  exp: number;
  clientId: string;
  parentRefresh?: string; // grace mode: first use of this pair kills the parent refresh token
  longLived?: boolean;
}
interface RefreshRec {
  userId: number;
  admin: boolean;
  exp: number;
  revoked: boolean;
  parent?: string;
}
interface CodeRec {
  userId: number;
  admin: boolean;
  exp: number;
  used: boolean;
}

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export class TokenRegistry {
  private codes = new Map<string, CodeRec>();
  private access = new Map<string, AccessRec>();
  private refresh = new Map<string, RefreshRec>();
  /** The newest pair made by a rotation, until its access token is first used (chaos tests, see rotationPending). */
  private lastRotation: string | null = null;
  calls = 0;

  constructor(
    private readonly config: EmulatorConfig,
    private readonly nowSec: () => number,
    private readonly refreshMode: 'strict' | 'grace',
  ) {}

  reset(): void {
    this.codes.clear();
    this.access.clear();
    this.refresh.clear();
    this.lastRotation = null;
    this.calls = 0;
  }

  /**
   * True from a rotation until the new access token is first used. A client that writes the new pair before using
   * it (as Leadbridge does) has stored it once it is used; a process killed inside this window loses the pair, and
   * under the strict rule the spent refresh token cannot be used again (fact sheet §2.6).
   */
  rotationPending(): boolean {
    return this.lastRotation !== null;
  }

  exportState(): unknown {
    return { codes: [...this.codes], access: [...this.access], refresh: [...this.refresh] };
  }

  importState(v: unknown): void {
    const s = v as { codes?: [string, CodeRec][]; access?: [string, AccessRec][]; refresh?: [string, RefreshRec][] } | undefined;
    this.codes = new Map(s?.codes ?? []);
    this.access = new Map(s?.access ?? []);
    this.refresh = new Map(s?.refresh ?? []);
  }

  revokeAll(): void {
    this.codes.clear();
    this.access.clear();
    this.refresh.clear();
  }

  issueCode(userId: number, admin: boolean): string {
    const code = 'def50200' + randomBytes(48).toString('hex');
    this.codes.set(code, { userId, admin, exp: this.nowSec() + CODE_TTL_SEC, used: false });
    return code;
  }

  /** Returns the code record, or the failure hint. */
  consumeCode(code: string): CodeRec | string {
    const rec = this.codes.get(code);
    if (!rec) return 'Cannot decrypt the authorization code';
    if (rec.used) return 'Authorization code has been revoked';
    if (rec.exp < this.nowSec()) return 'Authorization code has expired';
    rec.used = true;
    return rec;
  }

  makeJwt(userId: number, exp: number): string {
    const iat = this.nowSec();
    const header = { typ: 'JWT', alg: 'RS256', jti: randomUUID() };
    const payload = {
      aud: this.config.clientId,
      jti: randomUUID(),
      iat,
      nbf: iat,
      exp,
      sub: String(userId),
      grant_type: '',
      account_id: this.config.accountId,
      base_domain: 'amocrm.ru',
      version: 2,
      scopes: ['crm', 'files', 'files_delete', 'notifications', 'push_notifications'],
      hash_uuid: randomUUID(),
      api_domain: 'api-a.amocrm.ru',
      client_uuid: this.config.clientId,
    };
    return `${b64url(header)}.${b64url(payload)}.${randomBytes(64).toString('base64url')}`;
  }

  issuePair(userId: number, admin: boolean, parent?: string): TokenResponse {
    const now = this.nowSec();
    const access_token = this.makeJwt(userId, now + ACCESS_TTL_SEC);
    const refresh_token = 'def50200' + randomBytes(96).toString('hex');
    this.access.set(access_token, { userId, admin, exp: now + ACCESS_TTL_SEC, clientId: this.config.clientId, ...(parent ? { parentRefresh: parent } : {}) });
    this.refresh.set(refresh_token, { userId, admin, exp: now + REFRESH_TTL_SEC, revoked: false, ...(parent ? { parent } : {}) });
    return { token_type: 'Bearer', expires_in: ACCESS_TTL_SEC, access_token, refresh_token, server_time: now };
  }

  issueLongLived(ttlSec: number, userId: number, admin: boolean): { access_token: string; expires_at: number } {
    const exp = this.nowSec() + ttlSec;
    const access_token = this.makeJwt(userId, exp);
    this.access.set(access_token, { userId, admin, exp, clientId: this.config.clientId, longLived: true });
    return { access_token, expires_at: exp };
  }

  private killParent(parent: string | undefined): void {
    if (!parent) return;
    const p = this.refresh.get(parent);
    if (p) p.revoked = true;
  }

  /** Rotates a refresh token; returns the new pair or the OAuth hint. */
  rotate(token: string): TokenResponse | string {
    const rec = this.refresh.get(token);
    if (!rec) return 'Cannot decrypt the refresh token';
    if (rec.revoked) return 'Token has been revoked';
    if (rec.exp < this.nowSec()) return 'Token has expired';
    this.killParent(rec.parent);
    if (this.refreshMode === 'strict') rec.revoked = true;
    const pair = this.issuePair(rec.userId, rec.admin, this.refreshMode === 'grace' ? token : undefined);
    this.lastRotation = pair.access_token;
    return pair;
  }

  /** An active (unrevoked, unexpired) refresh token, for /oauth2/account/current/subdomain. */
  refreshActive(token: string): boolean {
    const rec = this.refresh.get(token);
    return !!rec && !rec.revoked && rec.exp >= this.nowSec();
  }

  /** Checks a bearer; returns the record, 'expired' or undefined (unknown). */
  checkAccess(token: string): AccessRec | 'expired' | undefined {
    const rec = this.access.get(token);
    if (!rec) return undefined;
    if (rec.exp < this.nowSec()) return 'expired';
    if (this.lastRotation === token) this.lastRotation = null;
    if (rec.parentRefresh) {
      this.killParent(rec.parentRefresh);
      delete rec.parentRefresh;
    }
    return rec;
  }
}
