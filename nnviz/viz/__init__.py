"""Drawing: one palette, series thinning, the Plotly and Vega-Lite figure builders and the network drawings. Arrays in, figures or specs out."""
