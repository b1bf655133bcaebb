/** The registry: every version of every tool of this client, newest first, by name and status. */
import { useState } from 'preact/hooks';
import { queryOf } from '../api';
import { ErrorMessage, formatTime, Loading, Pager, StatusBadge } from '../components/common';
import { SelectField, TextField } from '../components/fields';
import { PAGE_SIZES, useApi, useCursorPages, useLoad } from '../hooks';
import { fieldErrorsOf } from '../lib/api-errors';
import type { ToolList, ToolStatus } from '../lib/api-types';
import { hrefOf } from '../lib/routes';

const STATUS_OPTIONS: readonly (readonly [ToolStatus | '', string])[] = [
  ['', 'Any status'],
  ['registered', 'registered'],
  ['deprecated', 'deprecated'],
  ['failed', 'failed'],
  ['draft', 'draft'],
];

interface Filters {
  name: string;
  status: string;
  pageSize: string;
}

export function ToolsPage() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>({ name: '', status: '', pageSize: '20' });
  const [filters, setFilters] = useState<Filters>(draft);
  const pages = useCursorPages();
  const listing = useLoad(
    (signal) =>
      api.get<ToolList>(
        `/tools${queryOf({ name: filters.name.trim(), status: filters.status, limit: filters.pageSize, cursor: pages.cursor })}`,
        signal,
      ),
    [api, filters, pages.cursor],
  );
  const errors = fieldErrorsOf(listing.error?.fields ?? []);

  const apply = (event: Event) => {
    event.preventDefault();
    setFilters(draft);
    pages.reset();
  };

  return (
    <section aria-labelledby="tools-heading">
      <h1 id="tools-heading">Registry</h1>
      <form class="filters" onSubmit={apply} noValidate>
        <TextField
          label="Name"
          value={draft.name}
          onValue={(name) => setDraft({ ...draft, name })}
          error={errors.name}
          placeholder="calculate_molecular_weight"
          monospace
        />
        <SelectField
          label="Status"
          value={draft.status}
          options={STATUS_OPTIONS}
          onValue={(status) => setDraft({ ...draft, status })}
          error={errors.status}
        />
        <SelectField
          label="Tools per page"
          value={draft.pageSize}
          options={PAGE_SIZES}
          onValue={(pageSize) => setDraft({ ...draft, pageSize })}
        />
        <button type="submit" class="secondary">
          Show tools
        </button>
      </form>
      {listing.error ? <ErrorMessage>{listing.error.message}</ErrorMessage> : null}
      {listing.loading && !listing.data ? <Loading what="tools" /> : null}
      {listing.data && !listing.error ? (
        listing.data.tools.length === 0 ? (
          <p>No tools match.</p>
        ) : (
          <ul class="rows" aria-busy={listing.loading}>
            {listing.data.tools.map((tool) => (
              <li key={tool.toolId} class="row">
                <a class="row-title" href={hrefOf({ page: 'tool', toolId: tool.toolId })}>
                  <code>{tool.name}</code> v{tool.version}
                </a>
                <StatusBadge status={tool.status} />
                <span class="row-detail row-description">{tool.description}</span>
                <span class="row-detail">{formatTime(tool.createdAt)}</span>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <Pager
        label="Pages of tools"
        hasNewer={pages.hasNewer}
        hasOlder={!!listing.data?.nextCursor}
        onNewer={pages.newer}
        onOlder={() => listing.data?.nextCursor && pages.older(listing.data.nextCursor)}
      />
    </section>
  );
}
