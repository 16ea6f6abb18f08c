// The README's Quick start, the whole Program.cs of an app made with `dotnet new web`. scripts/fresh-app.sh runs
// the README's copy of it against the packed library.
// <readme:quickstart>
using Roadrunner.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseRoadrunner();                 // runtime listeners + host-shutdown drain
var app = builder.Build();
app.UseWebSockets();
app.UseRoadrunnerDrain();                        // drain signal on every request

app.MapGet("/", (HttpContext ctx) => $"listener={ctx.GetListenerName()}");
app.MapPost("/ports/{name}", async (string name, IListenerManager listeners) =>
    (await listeners.StartAsync(name, new ListenerOptions { Port = 0 })).Url.ToString());
app.MapPost("/ports/{name}/drain", async (string name, IListenerManager listeners) =>
    await listeners.DrainAsync(name, TimeSpan.FromSeconds(30)) is { } r ? Results.Ok(r) : Results.NotFound());
app.MapDelete("/ports/{name}", async (string name, IListenerManager listeners) =>
    await listeners.StopAsync(name) ? Results.NoContent() : Results.NotFound());

app.Run();
// </readme:quickstart>
