using System.Runtime.InteropServices;

namespace Biathlon.Engine.Tests;

/// <summary>
/// LightGBM itself, through its C API in the native lib_lightgbm.so that the LightGBM NuGet package ships: trains a
/// booster on float rows, saves its text model and predicts, so tests can compare our reader with the library that
/// wrote the file.
/// </summary>
internal sealed class LightGbmBooster : IDisposable
{
    private const string Library = "lib_lightgbm";
    private const int Float32 = 0;
    private const int RowMajor = 1;
    private const int PredictNormal = 0;
    private const int PredictRawScore = 1;

    private IntPtr _dataset;
    private IntPtr _booster;

    private LightGbmBooster(IntPtr dataset, IntPtr booster)
    {
        _dataset = dataset;
        _booster = booster;
    }

    /// <summary>
    /// Trains <paramref name="iterations"/> boosting rounds on <paramref name="rows"/> with LightGBM parameters
    /// <paramref name="parameters"/> ("key=value" separated by spaces); single-threaded and deterministic.
    /// </summary>
    public static LightGbmBooster Train(float[][] rows, float[] labels, string parameters, int iterations)
    {
        var all = $"{parameters} num_threads=1 deterministic=true force_row_wise=true seed=7 verbose=-1";
        var width = rows[0].Length;
        var flat = Flatten(rows);
        Check(LGBM_DatasetCreateFromMat(flat, Float32, rows.Length, width, RowMajor, all, IntPtr.Zero, out var dataset));
        var booster = new LightGbmBooster(dataset, IntPtr.Zero);
        try
        {
            Check(LGBM_DatasetSetField(dataset, "label", labels, labels.Length, Float32));
            Check(LGBM_BoosterCreate(dataset, all, out booster._booster));
            for (var i = 0; i < iterations; i++)
            {
                Check(LGBM_BoosterUpdateOneIter(booster._booster, out var finished));
                if (finished != 0)
                {
                    break;
                }
            }

            return booster;
        }
        catch
        {
            booster.Dispose();
            throw;
        }
    }

    /// <summary>Writes the model in LightGBM's text format.</summary>
    public void Save(string path) => Check(LGBM_BoosterSaveModel(_booster, 0, -1, 0, path));

    /// <summary>LightGBM's prediction of each row: the transformed output (P(class 1) for binary) or the raw score.</summary>
    public double[] Predict(float[][] rows, bool rawScore)
    {
        var result = new double[rows.Length];
        Check(LGBM_BoosterPredictForMat(_booster, Flatten(rows), Float32, rows.Length, rows[0].Length, RowMajor,
            rawScore ? PredictRawScore : PredictNormal, 0, -1, "num_threads=1", out var length, result));
        Assert.Equal(rows.Length, length);
        return result;
    }

    public void Dispose()
    {
        if (_booster != IntPtr.Zero)
        {
            LGBM_BoosterFree(_booster);
            _booster = IntPtr.Zero;
        }

        if (_dataset != IntPtr.Zero)
        {
            LGBM_DatasetFree(_dataset);
            _dataset = IntPtr.Zero;
        }
    }

    private static float[] Flatten(float[][] rows)
    {
        var width = rows[0].Length;
        var flat = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r].CopyTo(flat, r * width);
        }

        return flat;
    }

    private static void Check(int status)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"LightGBM: {Marshal.PtrToStringUTF8(LGBM_GetLastError())}");
        }
    }

    // The C API (c_api.h of LightGBM 4.x); every call returns 0 on success, else LGBM_GetLastError says why.
    [DllImport(Library)]
    private static extern IntPtr LGBM_GetLastError();

    [DllImport(Library)]
    private static extern int LGBM_DatasetCreateFromMat(float[] data, int dataType, int rows, int columns, int isRowMajor,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, IntPtr reference, out IntPtr dataset);

    [DllImport(Library)]
    private static extern int LGBM_DatasetSetField(IntPtr dataset, [MarshalAs(UnmanagedType.LPUTF8Str)] string field, float[] data, int count, int type);

    [DllImport(Library)]
    private static extern int LGBM_DatasetFree(IntPtr dataset);

    [DllImport(Library)]
    private static extern int LGBM_BoosterCreate(IntPtr dataset, [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, out IntPtr booster);

    [DllImport(Library)]
    private static extern int LGBM_BoosterUpdateOneIter(IntPtr booster, out int finished);

    [DllImport(Library)]
    private static extern int LGBM_BoosterSaveModel(IntPtr booster, int startIteration, int iterations, int importanceType, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport(Library)]
    private static extern int LGBM_BoosterPredictForMat(IntPtr booster, float[] data, int dataType, int rows, int columns, int isRowMajor,
        int predictType, int startIteration, int iterations, [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, out long length, double[] result);

    [DllImport(Library)]
    private static extern int LGBM_BoosterFree(IntPtr booster);
}
