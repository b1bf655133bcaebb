/**
 * The page's places, kept in the URL's fragment (`#/jobs/job_…`): links can be bookmarked and
 * shared, the back button works, and the server only ever serves `/`.
 */

export type Route =
  | { page: 'submit' }
  | { page: 'jobs' }
  | { page: 'job'; jobId: string }
  | { page: 'tools' }
  | { page: 'tool'; toolId: string }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, id, ...rest] = parts;
  if (rest.length === 0) {
    if (section === undefined) return { page: 'submit' };
    if (section === 'jobs') return id === undefined ? { page: 'jobs' } : { page: 'job', jobId: id };
    if (section === 'tools') return id === undefined ? { page: 'tools' } : { page: 'tool', toolId: id };
  }
  return { page: 'not-found', path };
}

export function hrefOf(route: Exclude<Route, { page: 'not-found' }>): string {
  switch (route.page) {
    case 'submit':
      return '#/';
    case 'jobs':
      return '#/jobs';
    case 'job':
      return `#/jobs/${encodeURIComponent(route.jobId)}`;
    case 'tools':
      return '#/tools';
    case 'tool':
      return `#/tools/${encodeURIComponent(route.toolId)}`;
  }
}
