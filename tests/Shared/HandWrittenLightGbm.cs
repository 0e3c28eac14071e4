namespace Biathlon.Testing;

/// <summary>A hand-written LightGBM text model (the format LightGBM's save_model writes), for reader and CLI tests.</summary>
public static class HandWrittenLightGbm
{
    /// <summary>
    /// Two trees over 3 features: tree 0 splits feature <paramref name="feature"/> at 0.1 (decision
    /// <paramref name="decision"/>): ≤ → 1, else → node 1, which splits feature 2 at 5: ≤ → 10, else → 20. Tree 1 is a
    /// single leaf 0.5.
    /// </summary>
    public static string ModelText(string objective = "regression", string decision = "2", int feature = 0, string header = "num_class=1\nnum_tree_per_iteration=1", string extraTree0 = "") => $"""
        tree
        version=v4
        {header}
        label_index=0
        max_feature_idx=2
        objective={objective}
        feature_names=a b c
        feature_infos=[0:1] [0:1] [0:10]
        tree_sizes=300 100

        Tree=0
        num_leaves=3
        num_cat=0
        split_feature={feature} 2
        split_gain=10 5
        threshold=0.10000000000000001 5
        decision_type={decision} 2
        left_child=-1 -2
        right_child=1 -3
        leaf_value=1 10 20
        leaf_weight=1 1 1
        leaf_count=1 1 1
        internal_value=0 0
        internal_weight=0 0
        internal_count=3 2
        is_linear=0
        {extraTree0}shrinkage=1


        Tree=1
        num_leaves=1
        num_cat=0
        split_feature=
        split_gain=
        threshold=
        decision_type=
        left_child=
        right_child=
        leaf_value=0.5
        leaf_weight=
        leaf_count=
        internal_value=
        internal_weight=
        internal_count=
        is_linear=0
        shrinkage=1


        end of trees

        feature_importances:
        a=1

        parameters:
        [boosting: gbdt]
        end of parameters
        """;
}
