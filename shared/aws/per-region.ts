/**
 * Per-region singletons without side effects on import, so a bundle that needs only one client
 * (the notify function: SNS) does not pull in the others.
 */
/** One value per key, built on first use and kept. */
export function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const built = new Map<string, T>();
  return (region) => {
    let value = built.get(region);
    if (value === undefined) {
      value = create(region);
      built.set(region, value);
    }
    return value;
  };
}
