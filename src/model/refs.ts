// Gateway API and Istio references spell the core API group either "" or
// "core"; both name the same group, so every "is this a Service" test goes
// through here instead of repeating the pair.

/** Whether an (already defaulted) reference group is the core API group. */
export const isCoreGroup = (group: string): boolean => group === '' || group === 'core';

/** Whether a reference's group and kind name a core Service. */
export const isCoreServiceRef = (group: string, kind: string | undefined): boolean =>
  isCoreGroup(group) && kind === 'Service';
