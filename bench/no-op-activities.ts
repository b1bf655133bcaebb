export const noOpActivities = {
  async noOp(): Promise<void> {},
};
export type NoOpActivities = typeof noOpActivities;
