#!/bin/sh
# Stands in for Prisma's native schema engine, which would be downloaded from the internet.
# Corvid only uses the Prisma CLI for `generate`; migrations are committed SQL (see docs/decisions/002).
echo "prisma: the native schema engine is not available offline; use npm run db:migration / db:migrate" >&2
exit 1
