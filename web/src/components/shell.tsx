import type { ReactNode } from 'react';
import { Link, useLocation } from '../router.tsx';
import { sections } from '../routes.tsx';
import { useSession } from '../session.tsx';
import { ReviewBadge } from './review-badge.tsx';

/** The frame of every signed-in page: the sidebar of sections, the signed-in person, the page. */
export function Shell(props: { children: ReactNode; onSignOut: () => void }) {
  const { path } = useLocation();
  const session = useSession();
  const isCurrent = (href: string) =>
    href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            r
          </span>
          <span>
            refsync
            <span className="workspace-name">{session.workspace.name}</span>
          </span>
        </div>
        <nav aria-label="Console">
          {sections.map((section) => (
            <div className="nav-section" key={section.title}>
              <h2 className="nav-title">{section.title}</h2>
              <ul>
                {section.items.map((item) => (
                  <li key={item.href}>
                    <Link href={item.href} aria-current={isCurrent(item.href) ? 'page' : undefined}>
                      {item.label}
                      {item.badge === 'review' ? <ReviewBadge /> : null}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <div className="me">
          <span className="me-email">{session.user.email}</span>
          <span className="me-role">{session.user.role === 'admin' ? 'Admin' : 'Viewer (read only)'}</span>
          <button type="button" className="button button-small" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
