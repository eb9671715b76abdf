package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Each task queue's workers are one Worker Deployment, so each role rolls
// out on its own; a worker is the version of its build ID. Every workflow
// type is registered with how its executions meet a new version (New says
// why for each): pinned, they finish on the version that started them;
// auto-upgrade, their next workflow task runs on the current version, so
// they must replay what older versions recorded (the replay tests in
// workflows/ guard that).
//
// DeploymentName is the Worker Deployment of queue's workers, as the
// `temporal worker deployment` commands name it.
func DeploymentName(queue string) string { return "orderflow-" + queue }

// Version is the version a worker of queue with buildID runs as.
func Version(queue, buildID string) worker.WorkerDeploymentVersion {
	return worker.WorkerDeploymentVersion{DeploymentName: DeploymentName(queue), BuildID: buildID}
}

// PromoteFirstVersion makes version the current version of its deployment
// when nobody ever chose one (no current version was ever set, none is
// ramping): its first version, so that new executions have somewhere to
// go without anyone running a command. Once an operator has chosen
// (`temporal worker deployment set-current-version`, docs/versioning.md),
// even unversioned workers as a rollback, only an operator changes it:
// this version is then a new one waiting for its rollout, or an old one
// draining. The server knows a version once its workers have polled, so
// this waits for that, until ctx ends.
func PromoteFirstVersion(ctx context.Context, c client.Client, version worker.WorkerDeploymentVersion, logger *slog.Logger) error {
	handle := c.WorkerDeploymentClient().GetHandle(version.DeploymentName)
	wait := time.NewTicker(250 * time.Millisecond)
	defer wait.Stop()
	for {
		done, err := promoteOnce(ctx, handle, version, logger)
		if done {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("version %s was not yet known to the server: %w (last answer: %v)", version.BuildID, ctx.Err(), err)
		case <-wait.C:
		}
	}
}

// promoteOnce reports done when there is nothing left to do; err is then
// the outcome, and otherwise why to try again.
func promoteOnce(ctx context.Context, handle client.WorkerDeploymentHandle, version worker.WorkerDeploymentVersion, logger *slog.Logger) (done bool, err error) {
	desc, err := handle.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, err // our pollers have not registered the deployment yet
	}
	if err != nil {
		return false, err
	}
	routing := desc.Info.RoutingConfig
	if routing.CurrentVersion != nil || !routing.CurrentVersionChangedTime.IsZero() || routing.RampingVersion != nil {
		if routing.CurrentVersion == nil || *routing.CurrentVersion != version {
			current := "unversioned workers"
			if routing.CurrentVersion != nil {
				current = routing.CurrentVersion.BuildID
			}
			logger.Info("this worker's version is not the current one: it runs the executions pinned to it, and new ones once it is made current",
				"current", current)
		}
		return true, nil
	}
	if !knows(desc.Info, version) {
		return false, errors.New("the version has not polled yet")
	}
	// The conflict token makes this a no-op when someone else changed the
	// deployment in between (another replica, an operator).
	_, err = handle.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: version.BuildID, ConflictToken: desc.ConflictToken})
	if err != nil {
		return false, err
	}
	logger.Info("made the deployment's first version current")
	return true, nil
}

func knows(info client.WorkerDeploymentInfo, version worker.WorkerDeploymentVersion) bool {
	for _, v := range info.VersionSummaries {
		if v.Version == version {
			return true
		}
	}
	return false
}
