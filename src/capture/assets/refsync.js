/* refsync conversion script, version 1 (Apache-2.0). */
((w, d) => {
  const me = d.currentScript;
  const key = me?.getAttribute('data-key');
  const cookieDomain = me?.getAttribute('data-cookie-domain');
  const base = me ? new URL(me.src, w.location.href).origin : '';
  const NAME = 'refsync_ref';
  const CODE = /^[A-Za-z0-9_-]{1,64}$/;

  const read = () => {
    const m = d.cookie.match(/(?:^|;\s*)refsync_ref=([^;]*)/);
    const p = m ? decodeURIComponent(m[1]).split('.') : [];
    return p.length === 2 && CODE.test(p[0]) ? { code: p[0], at: Number(p[1]) } : null;
  };

  const post = async (path, body) => {
    if (!key) throw new Error('refsync: add data-key="pk_..." to the script tag');
    const r = await fetch(`${base}/api/v1/capture/${encodeURIComponent(key)}${path}`, {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch(() => {
      // The browser hides why: a refused origin, a revoked key and a network failure look alike.
      throw new Error(
        `refsync: no answer for ${w.location.origin}; check that it is among the program's allowed origins and the key is live`,
      );
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = new Error(j.error?.message || `refsync: ${r.status}`);
      e.status = r.status;
      e.details = j.error?.details;
      throw e;
    }
    return j;
  };

  const ref = new URLSearchParams(w.location.search).get('ref');
  let ready = Promise.resolve();
  if (ref && CODE.test(ref)) {
    ready = post('/visits', { code: ref }).then(
      (r) => {
        d.cookie =
          `${NAME}=${encodeURIComponent(`${ref}.${Math.floor(Date.now() / 1000)}`)}; Max-Age=${r.attributionDays * 86400}` +
          `; Path=/; SameSite=Lax${cookieDomain ? `; Domain=${cookieDomain}` : ''}${w.location.protocol === 'https:' ? '; Secure' : ''}`;
      },
      () => {},
    );
  }

  const api = {
    ready,
    code: () => read()?.code ?? null,
    signup: async (person) => {
      await ready;
      const body = { ...person };
      const c = read();
      if (c) {
        body.code = c.code;
        body.clickedAt = c.at;
      }
      return post('/signups', body);
    },
  };
  const queued = w.refsync?.q || [];
  w.refsync = api;
  for (const [name, args] of queued) api[name](...args);
})(window, document);
