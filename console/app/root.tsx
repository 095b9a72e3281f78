import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, isRouteErrorResponse, Link, Links, Meta, NavLink, Outlet, Scripts, ScrollRestoration, useRouteError, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { optionalUser } from "./lib/auth.server.ts";
import stylesHref from "./styles/app.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesHref }];
export const meta: MetaFunction = () => [{ title: "Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const auth = await optionalUser(request);
  if (!auth) return { viewer: null };
  return {
    viewer: {
      email: auth.user.email,
      role: auth.user.role,
      organizationName: auth.organization.name,
      csrfToken: auth.csrfToken,
    },
  };
}

const NAV_ITEMS: { to: string; label: string; adminOnly?: boolean }[] = [
  { to: "/assets", label: "Assets" },
  { to: "/cases", label: "Cases" },
  { to: "/deployment", label: "Deployment" },
  { to: "/users", label: "Users", adminOnly: true },
  { to: "/audit", label: "Audit", adminOnly: true },
  { to: "/settings", label: "Settings", adminOnly: true },
];

function Header() {
  const data = useRouteLoaderData<typeof loader>("root");
  const viewer = data?.viewer;
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        Corvid
      </Link>
      {viewer ? (
        <>
          <nav aria-label="Main">
            {NAV_ITEMS.filter((item) => !item.adminOnly || viewer.role === "admin").map((item) => (
              <NavLink key={item.to} to={item.to}>
                {item.label}
              </NavLink>
            ))}
          </nav>
          <div className="account">
            <span data-testid="current-user">
              {viewer.email} ({viewer.role}) · {viewer.organizationName}
            </span>
            <Link to="/account/2fa">2FA</Link>
            <Link to="/account/password">Password</Link>
            <Form method="post" action="/logout">
              <input type="hidden" name="csrf" value={viewer.csrfToken} />
              <button type="submit" className="link">
                Log out
              </button>
            </Form>
          </div>
        </>
      ) : null}
    </header>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <Header />
        <main>{children}</main>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : "Something went wrong";
  const message = isRouteErrorResponse(error) ? (typeof error.data === "string" ? error.data : JSON.stringify(error.data)) : "The console hit an unexpected error. It has been logged on the server.";
  return (
    <section className="error" role="alert">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <Link to="/">Back to the start page</Link>
      </p>
    </section>
  );
}
