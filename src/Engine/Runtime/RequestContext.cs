using Biathlon.Planner;
using Biathlon.Sampling;

namespace Biathlon.Engine.Runtime;

/// <summary>The per-request working state of one pipeline (cursors, plan, feature estimates, a propagator, a policy). Pooled and reused: after warm-up a request allocates only its cursors, predicates and result.</summary>
internal sealed class RequestContext
{
    public RequestContext(int queries, int inputs, int[] groupOfInput, PropagationOptions propagation, string policy, ulong seed)
    {
        Cursors = new SampleCursor[queries];
        EstimatedRows = new long[queries];
        Plan = new int[queries];
        States = new QueryPlanState[queries];
        QueryTicks = new long[queries];
        Features = new FeatureEstimate[inputs];
        Correlations = new double[inputs * inputs];
        Reasons = new PlanReason[queries];
        FirstOrder = new double[queries + 1];
        ExactReasons = new ExactReason[queries];
        Row = new float[inputs];
        Output = new float[1];
        Propagator = new UncertaintyPropagator(groupOfInput, propagation);
        Policy = policy switch
        {
            "uniform" => new UniformPlanPolicy(),
            "random" => new RandomPlanPolicy(seed),
            _ => new SensitivityPlanPolicy(),
        };
    }

    public SampleCursor[] Cursors { get; }

    public long[] EstimatedRows { get; }

    public int[] Plan { get; }

    public QueryPlanState[] States { get; }

    public long[] QueryTicks { get; }

    public FeatureEstimate[] Features { get; }

    /// <summary>D × D correlations of the features' errors, within each query (from its sample).</summary>
    public double[] Correlations { get; }

    /// <summary>S1 per group of this request's last propagated round (queries, then the request fields' group).</summary>
    public double[] FirstOrder { get; }

    /// <summary>Why the last plan changed each query.</summary>
    public PlanReason[] Reasons { get; }

    /// <summary>Why each query is (or became) exact.</summary>
    public ExactReason[] ExactReasons { get; }

    public float[] Row { get; }

    public float[] Output { get; }

    public UncertaintyPropagator Propagator { get; }

    public IPlanPolicy Policy { get; }
}
