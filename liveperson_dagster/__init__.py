import warnings

from dagster import BetaWarning

# Dagster 1.13 re-creates every sensor that takes resources passing its beta `owners` parameter, even unset, and
# warns on each load of the definitions (every CLI command); we set no owners.
warnings.filterwarnings("ignore", message=r"Parameter `owners` of initializer `SensorDefinition\.__init__`",
                        category=BetaWarning)
