// The shell: sign-in when there is no session, otherwise the sidebar, the language switch and the pages.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, get, post, setCsrf, type Session } from './api.js';
import { CatalogCtx, type CatalogData } from './catalog.js';
import { DICTS, I18n, initialLang, useI18n, type Lang } from './i18n.js';
import { BASE, currentPath, Link, Route } from './router.js';
import { OverviewPage } from './pages/overview.js';
import { LeadsPage } from './pages/leads.js';
import { LeadPage } from './pages/lead.js';
import { FunnelPage } from './pages/funnel.js';
import { SourcesPage } from './pages/sources.js';
import { ManagersPage } from './pages/managers.js';
import { DeliveryPage } from './pages/delivery.js';

function Login(props: { onSignedIn: (s: Session) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      props.onSignedIn(await post<Session>('/api/dashboard/login', { email, password }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(t.tooMany.replace('{s}', err.message.match(/\d+/)?.[0] ?? '?'));
      else setError(t.wrongPassword);
    }
  };
  return (
    <div className="login">
      <form className="card" onSubmit={submit}>
        <h1>{t.appName}</h1>
        <p className="muted">{t.signInTitle}</p>
        <label>
          {t.email}
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required data-testid="login-email" />
        </label>
        <label>
          {t.password}
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required data-testid="login-password" />
        </label>
        {error ? <p className="error" data-testid="login-error">{error}</p> : null}
        <button className="button" type="submit" data-testid="login-submit">
          {t.signIn}
        </button>
        <LangSwitch />
      </form>
    </div>
  );
}

function LangSwitch() {
  const { lang, setLang } = useI18n();
  return (
    <div className="lang" role="group">
      {(['ru', 'en'] as Lang[]).map((l) => (
        <button key={l} type="button" className={l === lang ? 'on' : ''} onClick={() => setLang(l)} data-testid={`lang-${l}`}>
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

const NAV = [
  ['/', 'overview'],
  ['/leads', 'leads'],
  ['/funnel', 'funnel'],
  ['/sources', 'sources'],
  ['/managers', 'managers'],
  ['/delivery', 'delivery'],
] as const;

function Shell(props: { session: Session; onSignOut: () => void; path: string }) {
  const { t } = useI18n();
  const admin = props.session.role === 'admin';
  const [catalog, setCatalog] = useState<CatalogData>();
  useEffect(() => {
    get<CatalogData>('/api/analytics/catalog').then(setCatalog, () => undefined);
  }, []);
  const p = props.path;
  const leadId = /^\/leads\/([0-9a-f-]{36})$/i.exec(p)?.[1];
  const section = NAV.find(([to]) => (to === '/' ? p === '/' : p.startsWith(to)))?.[1] ?? 'overview';
  const page = leadId ? (
    <LeadPage id={leadId} admin={admin} />
  ) : section === 'leads' ? (
    <LeadsPage personal={admin} />
  ) : section === 'funnel' ? (
    <FunnelPage />
  ) : section === 'sources' ? (
    <SourcesPage />
  ) : section === 'managers' ? (
    <ManagersPage />
  ) : section === 'delivery' ? (
    <DeliveryPage admin={admin} />
  ) : (
    <OverviewPage />
  );
  return (
    <CatalogCtx.Provider value={catalog}>
      <div className="layout">
        <nav className="side">
          <div className="side-inner">
          <div className="brand">{t.appName}</div>
          {NAV.map(([to, key]) => (
            <Link key={key} to={to} className={section === key ? 'nav on' : 'nav'} testId={`nav-${key}`}>
              {t[key]}
            </Link>
          ))}
          <div className="side-foot">
            <LangSwitch />
            <div className="who" data-testid="who">
              {props.session.email}
              <br />
              <span className="muted">{props.session.role}</span>
            </div>
            <button className="button ghost" onClick={props.onSignOut} data-testid="sign-out">
              {t.signOut}
            </button>
          </div>
          </div>
        </nav>
        <main>
          <h1 data-testid="page-title">{t[section]}</h1>
          {!admin ? <p className="muted note">{t.viewerNote}</p> : null}
          {page}
        </main>
      </div>
    </CatalogCtx.Provider>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang());
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [path, setPath] = useState(currentPath());
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('lb_lang', l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    get<Session>('/api/dashboard/session').then(
      (s) => {
        setCsrf(s.csrfToken);
        setSession(s);
      },
      () => setSession(null),
    );
    const onPop = () => setPath(currentPath());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const go = useCallback((p: string) => {
    history.pushState(null, '', `${BASE}${p}`);
    setPath(p);
    window.scrollTo(0, 0);
  }, []);
  const i18n = useMemo(() => ({ lang, t: DICTS[lang], setLang }), [lang, setLang]);
  const signIn = (s: Session) => {
    setCsrf(s.csrfToken);
    setSession(s);
  };
  const signOut = async () => {
    await post('/api/dashboard/logout').catch(() => undefined);
    setCsrf('');
    setSession(null);
  };
  return (
    <I18n.Provider value={i18n}>
      <Route.Provider value={{ path, go }}>
        {session === undefined ? null : session === null ? <Login onSignedIn={signIn} /> : <Shell session={session} onSignOut={() => void signOut()} path={path} />}
      </Route.Provider>
    </I18n.Provider>
  );
}
