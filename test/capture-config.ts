// A capture test config: the demo leadbridge.yaml (forms fitzone, asia-deals with their widget sections) plus test
// forms with restricted origins and source adapters (Tilda with an API key, generic mappings for Elementor and
// Marquiz, Google Ads, Meta), written to a temporary YAML file and loaded the way the server loads it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig, type Config } from '../src/config/index.js';
import { TEST_ADMIN_TOKEN } from './config.js';

export const TILDA_KEY = 'tilda-secret-key-123';
export const GOOGLE_KEY = 'google-ads-key-456';
export const META = { verifyToken: 'meta-verify-789', appSecret: 'meta-app-secret-abc', pageToken: 'page-token-def' };

const WIDGET = {
  fields: [
    { name: 'name', type: 'text', label: { ru: 'Имя', en: 'Name' }, required: true },
    { name: 'phone', type: 'tel', label: { ru: 'Телефон', en: 'Phone' }, required: true },
  ],
  consent: { version: 'test-v1', text: 'Согласен на обработку персональных данных' },
  min_fill_ms: 0,
};

/** Writes the YAML and returns its path; `graphUrl` is the local fake Graph API for the Meta form. */
export function writeCaptureConfig(opts: { graphUrl?: string; allowedOrigin?: string } = {}): string {
  const demo = parse(readFileSync(new URL('../leadbridge.yaml', import.meta.url), 'utf8')) as { forms: Record<string, unknown> };
  demo.forms.tilda = { title: 'Tilda', sources: { tilda: { api_key: { name: 'api_key', value: TILDA_KEY }, fields: { Direction: 'direction' } } } };
  demo.forms.elementor = {
    title: 'Elementor',
    sources: { generic: { map: { name: 'Имя', phone: 'Телефон', email: 'Email', message: 'Сообщение', page_url: 'page_url' }, constants: { utm_source: 'wordpress' } } },
  };
  demo.forms.marquiz = {
    title: 'Marquiz',
    sources: {
      generic: {
        map: {
          name: 'contacts.name', phone: 'contacts.phone', email: 'contacts.email', 'extra.budget': 'answers[q=Ваш бюджет].a',
          'extra.quiz': 'quiz.name', utm_source: 'extra.utm.source', utm_campaign: 'extra.utm.campaign', page_url: 'extra.href',
        },
        id: 'id',
        token: 'marquiz-token',
      },
    },
  };
  demo.forms.gads = { title: 'Google Ads', sources: { google_ads: { key: GOOGLE_KEY } } };
  demo.forms.meta = {
    title: 'Meta',
    sources: { meta: { verify_token: META.verifyToken, app_secret: META.appSecret, page_token: META.pageToken, ...(opts.graphUrl ? { graph_url: opts.graphUrl } : {}) } },
  };
  demo.forms.partner = { title: 'Partner site', allowed_origins: [opts.allowedOrigin ?? 'https://partner.example'], widget: WIDGET };
  const dir = mkdtempSync(join(tmpdir(), 'leadbridge-capture-'));
  const file = join(dir, 'leadbridge.yaml');
  writeFileSync(file, stringify(demo));
  return file;
}

export function captureConfig(opts: { graphUrl?: string; allowedOrigin?: string } = {}): Config {
  return loadConfig({ LEADBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, { configPath: writeCaptureConfig(opts) });
}
