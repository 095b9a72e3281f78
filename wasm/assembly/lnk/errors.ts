import { emit, KIND_ERROR } from "./entries";
import { inputSize } from "./input";
import { R_TRUNCATED } from "./tags";

/** Records a structural error; returns false so callers can `return fail(...)`. */
export function fail(structure: i32, offset: i32, reason: i32): bool {
  emit(KIND_ERROR, structure, offset, reason, -1, 0);
  return false;
}

/** Records a short read of `need` bytes at `offset` within a structure that ends at `end`. */
export function failShort(structure: i32, offset: i32, need: i32, end: i32): bool {
  const limit = end < inputSize ? end : inputSize;
  const have = limit > offset ? limit - offset : 0;
  emit(KIND_ERROR, structure, offset, R_TRUNCATED, need, have);
  return false;
}
