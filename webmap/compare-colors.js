// The outline colours of a comparison's A (the selection) and B, on the map, in its key and in its bars.
export const COMPARE_A = "#222222";
export const COMPARE_B = "#1f5fbf";
