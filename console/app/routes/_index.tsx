export default function Home() {
  return <h1>Corvid</h1>;
}
