import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireUser } from "../lib/auth.server.ts";

export const meta: MetaFunction = () => [{ title: "Overview · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId, user } = await requireUser(request);
  const [assets, openCases, activeAssignments, evidence] = await Promise.all([
    db.asset.count({ where: { organizationId, revokedAt: null } }),
    db.case.count({ where: { organizationId, status: "open" } }),
    db.taskAssignment.count({ where: { task: { organizationId }, status: { in: ["queued", "delivered", "running"] } } }),
    db.evidence.count({ where: { organizationId } }),
  ]);
  return { email: user.email, figures: { assets, openCases, activeAssignments, evidence } };
}

export default function Home() {
  const { email, figures } = useLoaderData<typeof loader>();
  const cards = [
    { label: "Assets", value: figures.assets, to: "/assets" },
    { label: "Open cases", value: figures.openCases, to: "/cases" },
    { label: "Task runs in progress", value: figures.activeAssignments, to: "/cases" },
    { label: "Evidence items", value: figures.evidence, to: "/cases" },
  ];
  return (
    <section>
      <h1>Overview</h1>
      <p className="muted">Logged in as {email}.</p>
      <div className="cards" data-testid="overview">
        {cards.map((card) => (
          <Link key={card.label} to={card.to} className="card">
            <div className="figure">{card.value}</div>
            <div>{card.label}</div>
          </Link>
        ))}
      </div>
    </section>
  );
}
