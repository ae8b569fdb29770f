/**
 * The `rel="next"` URL of a GitHub `Link` header, or undefined on the last
 * page. (`<https://api.github.com/...&page=2>; rel="next", <...>; rel="last"`)
 */
export function nextPageUrl(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = part.match(/<([^>]+)>\s*;\s*rel="?([^";]+)"?/);
    if (match && match[2]!.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}
