using System.Globalization;
using System.Text;
using Biathlon.Engine.Specs;

namespace Biathlon.GpuBench;

// Requests for the end-to-end measurement: the harness's requests file (`prepare --export-requests FILE`: a CSV with a
// header, one column per request field, extra columns ignored), typed by the pipeline's request fields. The file is
// in time order with the held-out test requests last, so the last `limit` rows are taken.
internal static class RequestsFile
{
    public static List<Dictionary<string, object?>> Read(string path, IReadOnlyList<RequestFieldDefinition> fields, int limit)
    {
        using var reader = new StreamReader(path);
        var header = Split(reader.ReadLine() ?? throw new InvalidDataException($"{path}: the file is empty."));
        var columns = new int[fields.Count];
        for (var f = 0; f < fields.Count; f++)
        {
            columns[f] = header.IndexOf(fields[f].Name);
            if (columns[f] < 0 && fields[f].Fill is null)
            {
                throw new InvalidDataException($"{path}: no column for request field '{fields[f].Name}'.");
            }
        }

        var requests = new List<Dictionary<string, object?>>();
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var cells = Split(text);
            var request = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var f = 0; f < fields.Count; f++)
            {
                if (columns[f] < 0 || columns[f] >= cells.Count || cells[columns[f]].Length == 0)
                {
                    continue;
                }

                var cell = cells[columns[f]];
                request[fields[f].Name] = fields[f].Type switch
                {
                    RequestFieldType.String => cell,
                    RequestFieldType.Integer => long.Parse(cell, CultureInfo.InvariantCulture),
                    RequestFieldType.Number => double.Parse(cell, CultureInfo.InvariantCulture),
                    _ => DateTime.Parse(cell, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                };
            }

            requests.Add(request);
        }

        return requests.Count > limit ? requests.GetRange(requests.Count - limit, limit) : requests;
    }

    // One CSV record (RFC 4180 quoting; no embedded line breaks).
    private static List<string> Split(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
