// Environment of the follow-up channels: SMTP (SMTP_URL, LEADBRIDGE_MAIL_FROM, DKIM_*) and the WhatsApp Cloud API
// (WHATSAPP_*). Every variable is optional: a channel without its settings runs against the local sandbox.
import type { ChannelEnv } from './types.js';

export function readChannelEnv(env: NodeJS.ProcessEnv, problems: string[]): ChannelEnv {
  const get = (k: string) => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const out: ChannelEnv = {
    mailFrom: get('LEADBRIDGE_MAIL_FROM') ?? 'Leadbridge <noreply@leadbridge.local>',
    whatsapp: { apiUrl: (get('WHATSAPP_API_URL') ?? 'https://graph.facebook.com').replace(/\/+$/, '') },
    catcherPort: port(get('LEADBRIDGE_SMTP_CATCHER_PORT'), 2525, 'LEADBRIDGE_SMTP_CATCHER_PORT', problems),
    whatsappEmulatorPort: port(get('LEADBRIDGE_WHATSAPP_EMULATOR_PORT'), 0, 'LEADBRIDGE_WHATSAPP_EMULATOR_PORT', problems),
  };
  const smtp = get('SMTP_URL');
  if (smtp) {
    if (!/^smtps?:\/\/[^/]+/.test(smtp)) problems.push('SMTP_URL: must be smtp://user:pass@host:587 or smtps://user:pass@host:465');
    else out.smtpUrl = smtp;
  }
  const dkimKey = get('DKIM_PRIVATE_KEY');
  const dkimDomain = get('DKIM_DOMAIN');
  const dkimSelector = get('DKIM_SELECTOR');
  if (dkimKey || dkimDomain || dkimSelector) {
    if (!dkimKey || !dkimDomain || !dkimSelector) problems.push('DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together');
    else out.dkim = { domainName: dkimDomain, keySelector: dkimSelector, privateKey: dkimKey.replace(/\\n/g, '\n') };
  }
  const token = get('WHATSAPP_TOKEN');
  const phoneNumberId = get('WHATSAPP_PHONE_NUMBER_ID');
  if (token) out.whatsapp.token = token;
  if (phoneNumberId) out.whatsapp.phoneNumberId = phoneNumberId;
  if (!!token !== !!phoneNumberId) problems.push('WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID go together');
  const appSecret = get('WHATSAPP_APP_SECRET');
  const verifyToken = get('WHATSAPP_VERIFY_TOKEN');
  if (appSecret) out.whatsapp.appSecret = appSecret;
  if (verifyToken) out.whatsapp.verifyToken = verifyToken;
  if (token && !appSecret) problems.push('WHATSAPP_APP_SECRET is required with WHATSAPP_TOKEN (webhook signatures are checked with it)');
  return out;
}

function port(v: string | undefined, dflt: number, name: string, problems: string[]): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    problems.push(`${name}: must be a port number 0-65535`);
    return dflt;
  }
  return n;
}
