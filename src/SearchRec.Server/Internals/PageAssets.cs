using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SearchRec.Server.Internals;

/// <summary>Serves the web page from files embedded in this assembly (plain HTML, CSS and JS; no build step).</summary>
internal static class PageAssets
{
    private static readonly (string Path, string Resource, string Type)[] Files =
    [
        ("/", "page/index.html", "text/html; charset=utf-8"),
        ("/app.js", "page/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "page/style.css", "text/css; charset=utf-8"),
        // Linked from the page, so the browser asks for no /favicon.ico (a 404 on the console otherwise).
        ("/favicon.svg", "page/favicon.svg", "image/svg+xml"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, type) in Files)
        {
            byte[] bytes = Load(resource);
            Endpoints.MapGetAndHead(app, path, () => Results.Bytes(bytes, type)).ExcludeFromDescription();
        }
    }

    private static byte[] Load(string resource)
    {
        using var s = typeof(PageAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The page file '{resource}' is not embedded in {typeof(PageAssets).Assembly.GetName().Name}.");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
