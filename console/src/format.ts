export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : 'never');

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;

export const PROVIDER_NAMES: Record<string, string> = { okta: 'Okta', entra: 'Microsoft Entra ID', generic: 'Generic SCIM' };
