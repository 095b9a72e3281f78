import { defineTenancySuite } from "./helpers/tenancy-suite.ts";

defineTenancySuite("postgresql");
