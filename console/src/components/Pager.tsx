/** Previous / Page n of m / Next; the page shown is the one the server answered. */
export function Pager({ total, startIndex, size, page, onPage }: { total: number; startIndex: number; size: number; page: number; onPage: (n: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / size));
  const shown = Math.floor((startIndex - 1) / size) + 1;
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span aria-live="polite">
        Page {shown} of {pages}
      </span>
      <button type="button" className="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}
