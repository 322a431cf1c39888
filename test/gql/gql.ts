/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        prefix\n        scopes\n        isActive\n        expiresAt\n      }\n    }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  query ApiKeys {\n    apiKeys {\n      id\n      name\n      prefix\n      scopes\n      isActive\n      createdAt\n      lastUsedAt\n      expiresAt\n      revokedAt\n    }\n  }\n": typeof types.ApiKeysDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      isActive\n      revokedAt\n    }\n  }\n": typeof types.RevokeApiKeyDocument,
    "\n  mutation RotateApiKey($input: RotateApiKeyInput!) {\n    rotateApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        scopes\n      }\n    }\n  }\n": typeof types.RotateApiKeyDocument,
    "\n  query WhoAmI {\n    me {\n      id\n    }\n  }\n": typeof types.WhoAmIDocument,
    "\n  query ModelNames {\n    models {\n      name\n    }\n  }\n": typeof types.ModelNamesDocument,
    "\n  mutation NewModel($name: String!) {\n    createModel(input: { name: $name }) {\n      id\n    }\n  }\n": typeof types.NewModelDocument,
    "\n  mutation CreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n      createdAt\n      startedAt\n      completedAt\n      deadline\n      error {\n        code\n        message\n      }\n    }\n  }\n": typeof types.CreatePredictionDocument,
    "\n  mutation CancelPrediction($id: ID!) {\n    cancelPrediction(id: $id) {\n      id\n      status\n      outputs\n      completedAt\n    }\n  }\n": typeof types.CancelPredictionDocument,
    "\n  query OnePrediction($id: ID!) {\n    prediction(id: $id) {\n      id\n      status\n      outputs\n      cached\n      createdAt\n      startedAt\n      completedAt\n      error {\n        code\n        message\n      }\n      version {\n        version\n      }\n    }\n  }\n": typeof types.OnePredictionDocument,
    "\n  query PredictionHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n": typeof types.PredictionHistoryDocument,
    "\n  mutation SyncPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      status\n      completedAt\n    }\n  }\n": typeof types.SyncPredictDocument,
    "\n  subscription QueuedCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      status\n      outputs\n    }\n  }\n": typeof types.QueuedCompletedDocument,
    "\n  subscription PredictionUpdated($id: ID!) {\n    predictionUpdated(id: $id) {\n      id\n      status\n      outputs\n      error {\n        code\n      }\n    }\n  }\n": typeof types.PredictionUpdatedDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      tier\n      role\n      createdAt\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation SetUserTier($input: SetUserTierInput!) {\n    setUserTier(input: $input) {\n      id\n      tier\n    }\n  }\n": typeof types.SetUserTierDocument,
    "\n  mutation GhostCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n    }\n  }\n": typeof types.GhostCreateModelDocument,
    "\n  query ModelVersionStates($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n        status\n        lastError\n        quarantinedUntil\n      }\n    }\n  }\n": typeof types.ModelVersionStatesDocument,
    "\n  mutation DashboardTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": typeof types.DashboardTrainingDocument,
    "\n  mutation DashboardKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": typeof types.DashboardKeyDocument,
    "\n  mutation DashboardLogoutEverywhere {\n    logoutEverywhere\n  }\n": typeof types.DashboardLogoutEverywhereDocument,
    "\n  mutation EmbeddedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n    }\n  }\n": typeof types.EmbeddedPredictDocument,
    "\n  subscription EmbeddedPredictions {\n    predictionCompleted {\n      id\n      outputs\n    }\n  }\n": typeof types.EmbeddedPredictionsDocument,
    "\n  mutation EmbeddedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n    }\n  }\n": typeof types.EmbeddedCreatePredictionDocument,
    "\n  query EmbeddedWebhookSecret {\n    predictionWebhookSecret\n  }\n": typeof types.EmbeddedWebhookSecretDocument,
    "\n  mutation EmbeddedCreateKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n": typeof types.EmbeddedCreateKeyDocument,
    "\n  mutation EmbeddedRevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n": typeof types.EmbeddedRevokeKeyDocument,
    "\n  query EmbeddedWhoAmI {\n    me {\n      id\n    }\n  }\n": typeof types.EmbeddedWhoAmIDocument,
    "\n  mutation IdempotentCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n": typeof types.IdempotentCreatePredictionDocument,
    "\n  mutation IdempotentCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n      }\n    }\n  }\n": typeof types.IdempotentCreateApiKeyDocument,
    "\n  query IdempotentHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": typeof types.IdempotentHistoryDocument,
    "\n  query IdempotentVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n": typeof types.IdempotentVersionsDocument,
    "\n  query IdempotentMe {\n    me {\n      email\n    }\n  }\n": typeof types.IdempotentMeDocument,
    "\n  mutation MetricsPredict($input: PredictInput!) {\n    predict(input: $input) {\n      cached\n    }\n  }\n": typeof types.MetricsPredictDocument,
    "\n  mutation MetricsDelete($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.MetricsDeleteDocument,
    "\n  mutation MetricsTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": typeof types.MetricsTrainDocument,
    "\n  query MetricsJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n": typeof types.MetricsJobDocument,
    "\n  query Models {\n    models {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n      versions {\n        version\n        sha256\n      }\n    }\n  }\n": typeof types.ModelsDocument,
    "\n  query Model($id: ID!) {\n    model(id: $id) {\n      id\n      name\n      description\n      createdAt\n      updatedAt\n      activeVersion {\n        version\n        inputs {\n          name\n          elementType\n          shape\n        }\n      }\n      versions {\n        version\n      }\n    }\n  }\n": typeof types.ModelDocument,
    "\n  mutation UpdateModel($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n": typeof types.UpdateModelDocument,
    "\n  mutation ModelBatching($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      batching {\n        maxQueueDelayMs\n        maxBatchRows\n        preferredBatchRows\n      }\n    }\n  }\n": typeof types.ModelBatchingDocument,
    "\n  mutation DeleteModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.DeleteModelDocument,
    "\n  mutation CreateModelWithDescription($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n    }\n  }\n": typeof types.CreateModelWithDescriptionDocument,
    "\n  mutation ModelsSignIn($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": typeof types.ModelsSignInDocument,
    "\n  mutation OipKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": typeof types.OipKeyDocument,
    "\n  query OipHistory($modelId: ID) {\n    predictions(first: 10, modelId: $modelId) {\n      edges {\n        node {\n          outputs\n          cached\n          version {\n            version\n          }\n        }\n      }\n    }\n  }\n": typeof types.OipHistoryDocument,
    "\n  mutation OipGraphQLPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n    }\n  }\n": typeof types.OipGraphQlPredictDocument,
    "\n  mutation OipRename($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n": typeof types.OipRenameDocument,
    "\n  mutation CachedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n      version {\n        version\n      }\n      model {\n        name\n      }\n    }\n  }\n": typeof types.CachedPredictDocument,
    "\n  mutation SwitchVersion($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n    }\n  }\n": typeof types.SwitchVersionDocument,
    "\n  mutation DropModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.DropModelDocument,
    "\n  query CacheHistory($modelId: ID) {\n    predictions(modelId: $modelId) {\n      edges {\n        node {\n          cached\n        }\n      }\n    }\n  }\n": typeof types.CacheHistoryDocument,
    "\n  query Predictions($modelId: ID, $first: Int, $after: String) {\n    predictions(modelId: $modelId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          outputs\n          model {\n            id\n          }\n          version {\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.PredictionsDocument,
    "\n  mutation DeleteModelWithHistory($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.DeleteModelWithHistoryDocument,
    "\n  query RateLimit {\n    rateLimit {\n      tier\n      minute {\n        limit\n        remaining\n        resetAt\n      }\n      day {\n        limit\n        remaining\n      }\n    }\n  }\n": typeof types.RateLimitDocument,
    "\n  mutation LoginAttempt($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": typeof types.LoginAttemptDocument,
    "\n  mutation KeyForLimits {\n    createApiKey(input: { name: \"limits\" }) {\n      secret\n    }\n  }\n": typeof types.KeyForLimitsDocument,
    "\n        mutation PromoteTier($input: SetUserTierInput!) {\n          setUserTier(input: $input) {\n            tier\n          }\n        }\n      ": typeof types.PromoteTierDocument,
    "\n  query HistoryIds {\n    predictions {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": typeof types.HistoryIdsDocument,
    "\n  query MeEmail {\n    me {\n      email\n    }\n  }\n": typeof types.MeEmailDocument,
    "\n  mutation SessionLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": typeof types.SessionLoginDocument,
    "\n  query SessionMe {\n    me {\n      id\n    }\n  }\n": typeof types.SessionMeDocument,
    "\n  mutation Logout {\n    logout\n  }\n": typeof types.LogoutDocument,
    "\n  mutation LogoutEverywhere {\n    logoutEverywhere\n  }\n": typeof types.LogoutEverywhereDocument,
    "\n  mutation ChangePassword($input: ChangePasswordInput!) {\n    changePassword(input: $input) {\n      token\n      user {\n        id\n      }\n    }\n  }\n": typeof types.ChangePasswordDocument,
    "\n  mutation SessionKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": typeof types.SessionKeyDocument,
    "\n  subscription ModelWatch {\n    modelUpdated {\n      id\n    }\n  }\n": typeof types.ModelWatchDocument,
    "\n  subscription PredictionCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      outputs\n      cached\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n": typeof types.PredictionCompletedDocument,
    "\n  subscription ModelUpdated($modelId: ID) {\n    modelUpdated(modelId: $modelId) {\n      id\n      name\n      deleted\n      activeVersion {\n        version\n      }\n    }\n  }\n": typeof types.ModelUpdatedDocument,
    "\n  mutation RenameModel($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n": typeof types.RenameModelDocument,
    "\n  mutation RemoveModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.RemoveModelDocument,
    "\n  mutation IssueKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n": typeof types.IssueKeyDocument,
    "\n  mutation RevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n": typeof types.RevokeKeyDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        tier\n        role\n      }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n": typeof types.CreateModelDocument,
    "\n  mutation UploadModelVersion($input: UploadModelVersionInput!) {\n    uploadModelVersion(input: $input) {\n      id\n      version\n      sizeBytes\n      sha256\n      inputs {\n        name\n        elementType\n        shape\n      }\n      outputs {\n        name\n        elementType\n        shape\n      }\n    }\n  }\n": typeof types.UploadModelVersionDocument,
    "\n  mutation Predict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n      latencyMs\n      createdAt\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n": typeof types.PredictDocument,
    "\n  mutation TracedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      cached\n    }\n  }\n": typeof types.TracedPredictDocument,
    "\n  mutation TracedTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": typeof types.TracedTrainDocument,
    "\n  mutation TracedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n": typeof types.TracedCreatePredictionDocument,
    "\n  query TracedJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n": typeof types.TracedJobDocument,
    "\n  mutation StartTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n      status\n      algorithm\n      model {\n        id\n      }\n    }\n  }\n": typeof types.StartTrainingDocument,
    "\n  query TrainingJob($id: ID!) {\n    trainingJob(id: $id) {\n      id\n      status\n      attempts\n      progress\n      metrics\n      error\n      finishedAt\n      activate\n      resultVersion {\n        version\n        labels\n        inputs {\n          name\n          shape\n        }\n      }\n    }\n  }\n": typeof types.TrainingJobDocument,
    "\n  query TrainingJobs($modelId: ID) {\n    trainingJobs(modelId: $modelId) {\n      id\n      status\n    }\n  }\n": typeof types.TrainingJobsDocument,
    "\n  mutation CancelTraining($id: ID!) {\n    cancelTraining(id: $id) {\n      id\n      status\n    }\n  }\n": typeof types.CancelTrainingDocument,
    "\n  subscription TrainingUpdates($jobId: ID) {\n    trainingJobUpdated(jobId: $jobId) {\n      id\n      status\n      progress\n      metrics\n      resultVersion {\n        version\n      }\n    }\n  }\n": typeof types.TrainingUpdatesDocument,
    "\n  mutation ScorePredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      version {\n        version\n        labels\n      }\n    }\n  }\n": typeof types.ScorePredictDocument,
    "\n  mutation TrainerKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": typeof types.TrainerKeyDocument,
    "\n  query TrainedActiveVersion($id: ID!) {\n    model(id: $id) {\n      activeVersion {\n        version\n      }\n      versions {\n        version\n      }\n    }\n  }\n": typeof types.TrainedActiveVersionDocument,
    "\n  query TrainedModelVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n": typeof types.TrainedModelVersionsDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n        events\n      }\n    }\n  }\n": typeof types.CreateWebhookDocument,
    "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n    }\n  }\n": typeof types.RotateWebhookSecretDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n": typeof types.DeleteWebhookDocument,
    "\n  query Webhooks {\n    webhooks {\n      id\n    }\n  }\n": typeof types.WebhooksDocument,
    "\n  query PredictionWebhookSecret {\n    predictionWebhookSecret\n  }\n": typeof types.PredictionWebhookSecretDocument,
    "\n  query WebhookDeliveries($webhookId: ID, $predictionId: ID, $first: Int) {\n    webhookDeliveries(webhookId: $webhookId, predictionId: $predictionId, first: $first) {\n      id\n      event\n      objectId\n      status\n      attempts\n      lastStatusCode\n      lastError\n      deliveredAt\n      nextAttemptAt\n    }\n  }\n": typeof types.WebhookDeliveriesDocument,
    "\n  mutation WebhookedPrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n    }\n  }\n": typeof types.WebhookedPredictionDocument,
    "\n  mutation WebhookedTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": typeof types.WebhookedTrainingDocument,
    "\n  query Budgets {\n    rateLimit {\n      minute {\n        remaining\n      }\n      writes {\n        minute {\n          limit\n          remaining\n        }\n        day {\n          limit\n        }\n      }\n    }\n  }\n": typeof types.BudgetsDocument,
    "\n  query Quota {\n    me {\n      quota {\n        models {\n          used\n          limit\n        }\n        versions {\n          used\n          limit\n        }\n        storedBytes {\n          used\n          limit\n        }\n      }\n    }\n  }\n": typeof types.QuotaDocument,
    "\n  mutation DeleteModelForQuota($id: ID!) {\n    deleteModel(id: $id)\n  }\n": typeof types.DeleteModelForQuotaDocument,
    "\n  mutation StartTrainingLimited($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": typeof types.StartTrainingLimitedDocument,
};
const documents: Documents = {
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        prefix\n        scopes\n        isActive\n        expiresAt\n      }\n    }\n  }\n": types.CreateApiKeyDocument,
    "\n  query ApiKeys {\n    apiKeys {\n      id\n      name\n      prefix\n      scopes\n      isActive\n      createdAt\n      lastUsedAt\n      expiresAt\n      revokedAt\n    }\n  }\n": types.ApiKeysDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      isActive\n      revokedAt\n    }\n  }\n": types.RevokeApiKeyDocument,
    "\n  mutation RotateApiKey($input: RotateApiKeyInput!) {\n    rotateApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        scopes\n      }\n    }\n  }\n": types.RotateApiKeyDocument,
    "\n  query WhoAmI {\n    me {\n      id\n    }\n  }\n": types.WhoAmIDocument,
    "\n  query ModelNames {\n    models {\n      name\n    }\n  }\n": types.ModelNamesDocument,
    "\n  mutation NewModel($name: String!) {\n    createModel(input: { name: $name }) {\n      id\n    }\n  }\n": types.NewModelDocument,
    "\n  mutation CreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n      createdAt\n      startedAt\n      completedAt\n      deadline\n      error {\n        code\n        message\n      }\n    }\n  }\n": types.CreatePredictionDocument,
    "\n  mutation CancelPrediction($id: ID!) {\n    cancelPrediction(id: $id) {\n      id\n      status\n      outputs\n      completedAt\n    }\n  }\n": types.CancelPredictionDocument,
    "\n  query OnePrediction($id: ID!) {\n    prediction(id: $id) {\n      id\n      status\n      outputs\n      cached\n      createdAt\n      startedAt\n      completedAt\n      error {\n        code\n        message\n      }\n      version {\n        version\n      }\n    }\n  }\n": types.OnePredictionDocument,
    "\n  query PredictionHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n": types.PredictionHistoryDocument,
    "\n  mutation SyncPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      status\n      completedAt\n    }\n  }\n": types.SyncPredictDocument,
    "\n  subscription QueuedCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      status\n      outputs\n    }\n  }\n": types.QueuedCompletedDocument,
    "\n  subscription PredictionUpdated($id: ID!) {\n    predictionUpdated(id: $id) {\n      id\n      status\n      outputs\n      error {\n        code\n      }\n    }\n  }\n": types.PredictionUpdatedDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      tier\n      role\n      createdAt\n    }\n  }\n": types.MeDocument,
    "\n  mutation SetUserTier($input: SetUserTierInput!) {\n    setUserTier(input: $input) {\n      id\n      tier\n    }\n  }\n": types.SetUserTierDocument,
    "\n  mutation GhostCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n    }\n  }\n": types.GhostCreateModelDocument,
    "\n  query ModelVersionStates($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n        status\n        lastError\n        quarantinedUntil\n      }\n    }\n  }\n": types.ModelVersionStatesDocument,
    "\n  mutation DashboardTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": types.DashboardTrainingDocument,
    "\n  mutation DashboardKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": types.DashboardKeyDocument,
    "\n  mutation DashboardLogoutEverywhere {\n    logoutEverywhere\n  }\n": types.DashboardLogoutEverywhereDocument,
    "\n  mutation EmbeddedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n    }\n  }\n": types.EmbeddedPredictDocument,
    "\n  subscription EmbeddedPredictions {\n    predictionCompleted {\n      id\n      outputs\n    }\n  }\n": types.EmbeddedPredictionsDocument,
    "\n  mutation EmbeddedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n    }\n  }\n": types.EmbeddedCreatePredictionDocument,
    "\n  query EmbeddedWebhookSecret {\n    predictionWebhookSecret\n  }\n": types.EmbeddedWebhookSecretDocument,
    "\n  mutation EmbeddedCreateKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n": types.EmbeddedCreateKeyDocument,
    "\n  mutation EmbeddedRevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n": types.EmbeddedRevokeKeyDocument,
    "\n  query EmbeddedWhoAmI {\n    me {\n      id\n    }\n  }\n": types.EmbeddedWhoAmIDocument,
    "\n  mutation IdempotentCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n": types.IdempotentCreatePredictionDocument,
    "\n  mutation IdempotentCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n      }\n    }\n  }\n": types.IdempotentCreateApiKeyDocument,
    "\n  query IdempotentHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": types.IdempotentHistoryDocument,
    "\n  query IdempotentVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n": types.IdempotentVersionsDocument,
    "\n  query IdempotentMe {\n    me {\n      email\n    }\n  }\n": types.IdempotentMeDocument,
    "\n  mutation MetricsPredict($input: PredictInput!) {\n    predict(input: $input) {\n      cached\n    }\n  }\n": types.MetricsPredictDocument,
    "\n  mutation MetricsDelete($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.MetricsDeleteDocument,
    "\n  mutation MetricsTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": types.MetricsTrainDocument,
    "\n  query MetricsJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n": types.MetricsJobDocument,
    "\n  query Models {\n    models {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n      versions {\n        version\n        sha256\n      }\n    }\n  }\n": types.ModelsDocument,
    "\n  query Model($id: ID!) {\n    model(id: $id) {\n      id\n      name\n      description\n      createdAt\n      updatedAt\n      activeVersion {\n        version\n        inputs {\n          name\n          elementType\n          shape\n        }\n      }\n      versions {\n        version\n      }\n    }\n  }\n": types.ModelDocument,
    "\n  mutation UpdateModel($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n": types.UpdateModelDocument,
    "\n  mutation ModelBatching($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      batching {\n        maxQueueDelayMs\n        maxBatchRows\n        preferredBatchRows\n      }\n    }\n  }\n": types.ModelBatchingDocument,
    "\n  mutation DeleteModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.DeleteModelDocument,
    "\n  mutation CreateModelWithDescription($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n    }\n  }\n": types.CreateModelWithDescriptionDocument,
    "\n  mutation ModelsSignIn($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": types.ModelsSignInDocument,
    "\n  mutation OipKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": types.OipKeyDocument,
    "\n  query OipHistory($modelId: ID) {\n    predictions(first: 10, modelId: $modelId) {\n      edges {\n        node {\n          outputs\n          cached\n          version {\n            version\n          }\n        }\n      }\n    }\n  }\n": types.OipHistoryDocument,
    "\n  mutation OipGraphQLPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n    }\n  }\n": types.OipGraphQlPredictDocument,
    "\n  mutation OipRename($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n": types.OipRenameDocument,
    "\n  mutation CachedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n      version {\n        version\n      }\n      model {\n        name\n      }\n    }\n  }\n": types.CachedPredictDocument,
    "\n  mutation SwitchVersion($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n    }\n  }\n": types.SwitchVersionDocument,
    "\n  mutation DropModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.DropModelDocument,
    "\n  query CacheHistory($modelId: ID) {\n    predictions(modelId: $modelId) {\n      edges {\n        node {\n          cached\n        }\n      }\n    }\n  }\n": types.CacheHistoryDocument,
    "\n  query Predictions($modelId: ID, $first: Int, $after: String) {\n    predictions(modelId: $modelId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          outputs\n          model {\n            id\n          }\n          version {\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.PredictionsDocument,
    "\n  mutation DeleteModelWithHistory($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.DeleteModelWithHistoryDocument,
    "\n  query RateLimit {\n    rateLimit {\n      tier\n      minute {\n        limit\n        remaining\n        resetAt\n      }\n      day {\n        limit\n        remaining\n      }\n    }\n  }\n": types.RateLimitDocument,
    "\n  mutation LoginAttempt($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": types.LoginAttemptDocument,
    "\n  mutation KeyForLimits {\n    createApiKey(input: { name: \"limits\" }) {\n      secret\n    }\n  }\n": types.KeyForLimitsDocument,
    "\n        mutation PromoteTier($input: SetUserTierInput!) {\n          setUserTier(input: $input) {\n            tier\n          }\n        }\n      ": types.PromoteTierDocument,
    "\n  query HistoryIds {\n    predictions {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": types.HistoryIdsDocument,
    "\n  query MeEmail {\n    me {\n      email\n    }\n  }\n": types.MeEmailDocument,
    "\n  mutation SessionLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n": types.SessionLoginDocument,
    "\n  query SessionMe {\n    me {\n      id\n    }\n  }\n": types.SessionMeDocument,
    "\n  mutation Logout {\n    logout\n  }\n": types.LogoutDocument,
    "\n  mutation LogoutEverywhere {\n    logoutEverywhere\n  }\n": types.LogoutEverywhereDocument,
    "\n  mutation ChangePassword($input: ChangePasswordInput!) {\n    changePassword(input: $input) {\n      token\n      user {\n        id\n      }\n    }\n  }\n": types.ChangePasswordDocument,
    "\n  mutation SessionKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": types.SessionKeyDocument,
    "\n  subscription ModelWatch {\n    modelUpdated {\n      id\n    }\n  }\n": types.ModelWatchDocument,
    "\n  subscription PredictionCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      outputs\n      cached\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n": types.PredictionCompletedDocument,
    "\n  subscription ModelUpdated($modelId: ID) {\n    modelUpdated(modelId: $modelId) {\n      id\n      name\n      deleted\n      activeVersion {\n        version\n      }\n    }\n  }\n": types.ModelUpdatedDocument,
    "\n  mutation RenameModel($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n": types.RenameModelDocument,
    "\n  mutation RemoveModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.RemoveModelDocument,
    "\n  mutation IssueKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n": types.IssueKeyDocument,
    "\n  mutation RevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n": types.RevokeKeyDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        tier\n        role\n      }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n": types.CreateModelDocument,
    "\n  mutation UploadModelVersion($input: UploadModelVersionInput!) {\n    uploadModelVersion(input: $input) {\n      id\n      version\n      sizeBytes\n      sha256\n      inputs {\n        name\n        elementType\n        shape\n      }\n      outputs {\n        name\n        elementType\n        shape\n      }\n    }\n  }\n": types.UploadModelVersionDocument,
    "\n  mutation Predict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n      latencyMs\n      createdAt\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n": types.PredictDocument,
    "\n  mutation TracedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      cached\n    }\n  }\n": types.TracedPredictDocument,
    "\n  mutation TracedTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": types.TracedTrainDocument,
    "\n  mutation TracedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n": types.TracedCreatePredictionDocument,
    "\n  query TracedJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n": types.TracedJobDocument,
    "\n  mutation StartTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n      status\n      algorithm\n      model {\n        id\n      }\n    }\n  }\n": types.StartTrainingDocument,
    "\n  query TrainingJob($id: ID!) {\n    trainingJob(id: $id) {\n      id\n      status\n      attempts\n      progress\n      metrics\n      error\n      finishedAt\n      activate\n      resultVersion {\n        version\n        labels\n        inputs {\n          name\n          shape\n        }\n      }\n    }\n  }\n": types.TrainingJobDocument,
    "\n  query TrainingJobs($modelId: ID) {\n    trainingJobs(modelId: $modelId) {\n      id\n      status\n    }\n  }\n": types.TrainingJobsDocument,
    "\n  mutation CancelTraining($id: ID!) {\n    cancelTraining(id: $id) {\n      id\n      status\n    }\n  }\n": types.CancelTrainingDocument,
    "\n  subscription TrainingUpdates($jobId: ID) {\n    trainingJobUpdated(jobId: $jobId) {\n      id\n      status\n      progress\n      metrics\n      resultVersion {\n        version\n      }\n    }\n  }\n": types.TrainingUpdatesDocument,
    "\n  mutation ScorePredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      version {\n        version\n        labels\n      }\n    }\n  }\n": types.ScorePredictDocument,
    "\n  mutation TrainerKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n": types.TrainerKeyDocument,
    "\n  query TrainedActiveVersion($id: ID!) {\n    model(id: $id) {\n      activeVersion {\n        version\n      }\n      versions {\n        version\n      }\n    }\n  }\n": types.TrainedActiveVersionDocument,
    "\n  query TrainedModelVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n": types.TrainedModelVersionsDocument,
    "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n        events\n      }\n    }\n  }\n": types.CreateWebhookDocument,
    "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n    }\n  }\n": types.RotateWebhookSecretDocument,
    "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n": types.DeleteWebhookDocument,
    "\n  query Webhooks {\n    webhooks {\n      id\n    }\n  }\n": types.WebhooksDocument,
    "\n  query PredictionWebhookSecret {\n    predictionWebhookSecret\n  }\n": types.PredictionWebhookSecretDocument,
    "\n  query WebhookDeliveries($webhookId: ID, $predictionId: ID, $first: Int) {\n    webhookDeliveries(webhookId: $webhookId, predictionId: $predictionId, first: $first) {\n      id\n      event\n      objectId\n      status\n      attempts\n      lastStatusCode\n      lastError\n      deliveredAt\n      nextAttemptAt\n    }\n  }\n": types.WebhookDeliveriesDocument,
    "\n  mutation WebhookedPrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n    }\n  }\n": types.WebhookedPredictionDocument,
    "\n  mutation WebhookedTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": types.WebhookedTrainingDocument,
    "\n  query Budgets {\n    rateLimit {\n      minute {\n        remaining\n      }\n      writes {\n        minute {\n          limit\n          remaining\n        }\n        day {\n          limit\n        }\n      }\n    }\n  }\n": types.BudgetsDocument,
    "\n  query Quota {\n    me {\n      quota {\n        models {\n          used\n          limit\n        }\n        versions {\n          used\n          limit\n        }\n        storedBytes {\n          used\n          limit\n        }\n      }\n    }\n  }\n": types.QuotaDocument,
    "\n  mutation DeleteModelForQuota($id: ID!) {\n    deleteModel(id: $id)\n  }\n": types.DeleteModelForQuotaDocument,
    "\n  mutation StartTrainingLimited($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n": types.StartTrainingLimitedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        prefix\n        scopes\n        isActive\n        expiresAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        prefix\n        scopes\n        isActive\n        expiresAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApiKeys {\n    apiKeys {\n      id\n      name\n      prefix\n      scopes\n      isActive\n      createdAt\n      lastUsedAt\n      expiresAt\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  query ApiKeys {\n    apiKeys {\n      id\n      name\n      prefix\n      scopes\n      isActive\n      createdAt\n      lastUsedAt\n      expiresAt\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      isActive\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      isActive\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateApiKey($input: RotateApiKeyInput!) {\n    rotateApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        scopes\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RotateApiKey($input: RotateApiKeyInput!) {\n    rotateApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n        scopes\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WhoAmI {\n    me {\n      id\n    }\n  }\n"): (typeof documents)["\n  query WhoAmI {\n    me {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ModelNames {\n    models {\n      name\n    }\n  }\n"): (typeof documents)["\n  query ModelNames {\n    models {\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation NewModel($name: String!) {\n    createModel(input: { name: $name }) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation NewModel($name: String!) {\n    createModel(input: { name: $name }) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n      createdAt\n      startedAt\n      completedAt\n      deadline\n      error {\n        code\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n      createdAt\n      startedAt\n      completedAt\n      deadline\n      error {\n        code\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelPrediction($id: ID!) {\n    cancelPrediction(id: $id) {\n      id\n      status\n      outputs\n      completedAt\n    }\n  }\n"): (typeof documents)["\n  mutation CancelPrediction($id: ID!) {\n    cancelPrediction(id: $id) {\n      id\n      status\n      outputs\n      completedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OnePrediction($id: ID!) {\n    prediction(id: $id) {\n      id\n      status\n      outputs\n      cached\n      createdAt\n      startedAt\n      completedAt\n      error {\n        code\n        message\n      }\n      version {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  query OnePrediction($id: ID!) {\n    prediction(id: $id) {\n      id\n      status\n      outputs\n      cached\n      createdAt\n      startedAt\n      completedAt\n      error {\n        code\n        message\n      }\n      version {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PredictionHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query PredictionHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SyncPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      status\n      completedAt\n    }\n  }\n"): (typeof documents)["\n  mutation SyncPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      status\n      completedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription QueuedCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      status\n      outputs\n    }\n  }\n"): (typeof documents)["\n  subscription QueuedCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      status\n      outputs\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PredictionUpdated($id: ID!) {\n    predictionUpdated(id: $id) {\n      id\n      status\n      outputs\n      error {\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PredictionUpdated($id: ID!) {\n    predictionUpdated(id: $id) {\n      id\n      status\n      outputs\n      error {\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      email\n      tier\n      role\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      email\n      tier\n      role\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetUserTier($input: SetUserTierInput!) {\n    setUserTier(input: $input) {\n      id\n      tier\n    }\n  }\n"): (typeof documents)["\n  mutation SetUserTier($input: SetUserTierInput!) {\n    setUserTier(input: $input) {\n      id\n      tier\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation GhostCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation GhostCreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ModelVersionStates($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n        status\n        lastError\n        quarantinedUntil\n      }\n    }\n  }\n"): (typeof documents)["\n  query ModelVersionStates($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n        status\n        lastError\n        quarantinedUntil\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardLogoutEverywhere {\n    logoutEverywhere\n  }\n"): (typeof documents)["\n  mutation DashboardLogoutEverywhere {\n    logoutEverywhere\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EmbeddedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n    }\n  }\n"): (typeof documents)["\n  mutation EmbeddedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription EmbeddedPredictions {\n    predictionCompleted {\n      id\n      outputs\n    }\n  }\n"): (typeof documents)["\n  subscription EmbeddedPredictions {\n    predictionCompleted {\n      id\n      outputs\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EmbeddedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n    }\n  }\n"): (typeof documents)["\n  mutation EmbeddedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n      outputs\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EmbeddedWebhookSecret {\n    predictionWebhookSecret\n  }\n"): (typeof documents)["\n  query EmbeddedWebhookSecret {\n    predictionWebhookSecret\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EmbeddedCreateKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation EmbeddedCreateKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EmbeddedRevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation EmbeddedRevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EmbeddedWhoAmI {\n    me {\n      id\n    }\n  }\n"): (typeof documents)["\n  query EmbeddedWhoAmI {\n    me {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation IdempotentCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation IdempotentCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation IdempotentCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation IdempotentCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IdempotentHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IdempotentHistory($modelId: ID) {\n    predictions(modelId: $modelId, first: 100) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IdempotentVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  query IdempotentVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IdempotentMe {\n    me {\n      email\n    }\n  }\n"): (typeof documents)["\n  query IdempotentMe {\n    me {\n      email\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MetricsPredict($input: PredictInput!) {\n    predict(input: $input) {\n      cached\n    }\n  }\n"): (typeof documents)["\n  mutation MetricsPredict($input: PredictInput!) {\n    predict(input: $input) {\n      cached\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MetricsDelete($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation MetricsDelete($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MetricsTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation MetricsTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MetricsJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n"): (typeof documents)["\n  query MetricsJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Models {\n    models {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n      versions {\n        version\n        sha256\n      }\n    }\n  }\n"): (typeof documents)["\n  query Models {\n    models {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n      versions {\n        version\n        sha256\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Model($id: ID!) {\n    model(id: $id) {\n      id\n      name\n      description\n      createdAt\n      updatedAt\n      activeVersion {\n        version\n        inputs {\n          name\n          elementType\n          shape\n        }\n      }\n      versions {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  query Model($id: ID!) {\n    model(id: $id) {\n      id\n      name\n      description\n      createdAt\n      updatedAt\n      activeVersion {\n        version\n        inputs {\n          name\n          elementType\n          shape\n        }\n      }\n      versions {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateModel($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateModel($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ModelBatching($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      batching {\n        maxQueueDelayMs\n        maxBatchRows\n        preferredBatchRows\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ModelBatching($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      batching {\n        maxQueueDelayMs\n        maxBatchRows\n        preferredBatchRows\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateModelWithDescription($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n    }\n  }\n"): (typeof documents)["\n  mutation CreateModelWithDescription($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ModelsSignIn($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"): (typeof documents)["\n  mutation ModelsSignIn($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OipKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation OipKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OipHistory($modelId: ID) {\n    predictions(first: 10, modelId: $modelId) {\n      edges {\n        node {\n          outputs\n          cached\n          version {\n            version\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query OipHistory($modelId: ID) {\n    predictions(first: 10, modelId: $modelId) {\n      edges {\n        node {\n          outputs\n          cached\n          version {\n            version\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OipGraphQLPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n    }\n  }\n"): (typeof documents)["\n  mutation OipGraphQLPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OipRename($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation OipRename($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CachedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n      version {\n        version\n      }\n      model {\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CachedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      cached\n      version {\n        version\n      }\n      model {\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SwitchVersion($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation SwitchVersion($input: UpdateModelInput!) {\n    updateModel(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DropModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation DropModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CacheHistory($modelId: ID) {\n    predictions(modelId: $modelId) {\n      edges {\n        node {\n          cached\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query CacheHistory($modelId: ID) {\n    predictions(modelId: $modelId) {\n      edges {\n        node {\n          cached\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Predictions($modelId: ID, $first: Int, $after: String) {\n    predictions(modelId: $modelId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          outputs\n          model {\n            id\n          }\n          version {\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Predictions($modelId: ID, $first: Int, $after: String) {\n    predictions(modelId: $modelId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          outputs\n          model {\n            id\n          }\n          version {\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteModelWithHistory($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteModelWithHistory($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RateLimit {\n    rateLimit {\n      tier\n      minute {\n        limit\n        remaining\n        resetAt\n      }\n      day {\n        limit\n        remaining\n      }\n    }\n  }\n"): (typeof documents)["\n  query RateLimit {\n    rateLimit {\n      tier\n      minute {\n        limit\n        remaining\n        resetAt\n      }\n      day {\n        limit\n        remaining\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LoginAttempt($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"): (typeof documents)["\n  mutation LoginAttempt($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation KeyForLimits {\n    createApiKey(input: { name: \"limits\" }) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation KeyForLimits {\n    createApiKey(input: { name: \"limits\" }) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n        mutation PromoteTier($input: SetUserTierInput!) {\n          setUserTier(input: $input) {\n            tier\n          }\n        }\n      "): (typeof documents)["\n        mutation PromoteTier($input: SetUserTierInput!) {\n          setUserTier(input: $input) {\n            tier\n          }\n        }\n      "];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HistoryIds {\n    predictions {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query HistoryIds {\n    predictions {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MeEmail {\n    me {\n      email\n    }\n  }\n"): (typeof documents)["\n  query MeEmail {\n    me {\n      email\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SessionLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"): (typeof documents)["\n  mutation SessionLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionMe {\n    me {\n      id\n    }\n  }\n"): (typeof documents)["\n  query SessionMe {\n    me {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout {\n    logout\n  }\n"): (typeof documents)["\n  mutation Logout {\n    logout\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogoutEverywhere {\n    logoutEverywhere\n  }\n"): (typeof documents)["\n  mutation LogoutEverywhere {\n    logoutEverywhere\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($input: ChangePasswordInput!) {\n    changePassword(input: $input) {\n      token\n      user {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ChangePassword($input: ChangePasswordInput!) {\n    changePassword(input: $input) {\n      token\n      user {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SessionKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation SessionKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ModelWatch {\n    modelUpdated {\n      id\n    }\n  }\n"): (typeof documents)["\n  subscription ModelWatch {\n    modelUpdated {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PredictionCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      outputs\n      cached\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PredictionCompleted($modelId: ID) {\n    predictionCompleted(modelId: $modelId) {\n      id\n      outputs\n      cached\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ModelUpdated($modelId: ID) {\n    modelUpdated(modelId: $modelId) {\n      id\n      name\n      deleted\n      activeVersion {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ModelUpdated($modelId: ID) {\n    modelUpdated(modelId: $modelId) {\n      id\n      name\n      deleted\n      activeVersion {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenameModel($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation RenameModel($id: ID!, $name: String!) {\n    updateModel(input: { id: $id, name: $name }) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation RemoveModel($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation IssueKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation IssueKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n      apiKey {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        tier\n        role\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        tier\n        role\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      description\n      activeVersion {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UploadModelVersion($input: UploadModelVersionInput!) {\n    uploadModelVersion(input: $input) {\n      id\n      version\n      sizeBytes\n      sha256\n      inputs {\n        name\n        elementType\n        shape\n      }\n      outputs {\n        name\n        elementType\n        shape\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UploadModelVersion($input: UploadModelVersionInput!) {\n    uploadModelVersion(input: $input) {\n      id\n      version\n      sizeBytes\n      sha256\n      inputs {\n        name\n        elementType\n        shape\n      }\n      outputs {\n        name\n        elementType\n        shape\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Predict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n      latencyMs\n      createdAt\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Predict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      outputs\n      cached\n      latencyMs\n      createdAt\n      model {\n        id\n        name\n      }\n      version {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TracedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      cached\n    }\n  }\n"): (typeof documents)["\n  mutation TracedPredict($input: PredictInput!) {\n    predict(input: $input) {\n      id\n      cached\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TracedTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation TracedTrain($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TracedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation TracedCreatePrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TracedJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n"): (typeof documents)["\n  query TracedJob($id: ID!) {\n    trainingJob(id: $id) {\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n      status\n      algorithm\n      model {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation StartTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n      status\n      algorithm\n      model {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TrainingJob($id: ID!) {\n    trainingJob(id: $id) {\n      id\n      status\n      attempts\n      progress\n      metrics\n      error\n      finishedAt\n      activate\n      resultVersion {\n        version\n        labels\n        inputs {\n          name\n          shape\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TrainingJob($id: ID!) {\n    trainingJob(id: $id) {\n      id\n      status\n      attempts\n      progress\n      metrics\n      error\n      finishedAt\n      activate\n      resultVersion {\n        version\n        labels\n        inputs {\n          name\n          shape\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TrainingJobs($modelId: ID) {\n    trainingJobs(modelId: $modelId) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  query TrainingJobs($modelId: ID) {\n    trainingJobs(modelId: $modelId) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelTraining($id: ID!) {\n    cancelTraining(id: $id) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation CancelTraining($id: ID!) {\n    cancelTraining(id: $id) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TrainingUpdates($jobId: ID) {\n    trainingJobUpdated(jobId: $jobId) {\n      id\n      status\n      progress\n      metrics\n      resultVersion {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription TrainingUpdates($jobId: ID) {\n    trainingJobUpdated(jobId: $jobId) {\n      id\n      status\n      progress\n      metrics\n      resultVersion {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ScorePredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      version {\n        version\n        labels\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ScorePredict($input: PredictInput!) {\n    predict(input: $input) {\n      outputs\n      version {\n        version\n        labels\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TrainerKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation TrainerKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TrainedActiveVersion($id: ID!) {\n    model(id: $id) {\n      activeVersion {\n        version\n      }\n      versions {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  query TrainedActiveVersion($id: ID!) {\n    model(id: $id) {\n      activeVersion {\n        version\n      }\n      versions {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TrainedModelVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  query TrainedModelVersions($id: ID!) {\n    model(id: $id) {\n      versions {\n        version\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n        events\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWebhook($input: CreateWebhookInput!) {\n    createWebhook(input: $input) {\n      secret\n      webhook {\n        id\n        url\n        events\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation RotateWebhookSecret($id: ID!) {\n    rotateWebhookSecret(id: $id) {\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteWebhook($id: ID!) {\n    deleteWebhook(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Webhooks {\n    webhooks {\n      id\n    }\n  }\n"): (typeof documents)["\n  query Webhooks {\n    webhooks {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PredictionWebhookSecret {\n    predictionWebhookSecret\n  }\n"): (typeof documents)["\n  query PredictionWebhookSecret {\n    predictionWebhookSecret\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDeliveries($webhookId: ID, $predictionId: ID, $first: Int) {\n    webhookDeliveries(webhookId: $webhookId, predictionId: $predictionId, first: $first) {\n      id\n      event\n      objectId\n      status\n      attempts\n      lastStatusCode\n      lastError\n      deliveredAt\n      nextAttemptAt\n    }\n  }\n"): (typeof documents)["\n  query WebhookDeliveries($webhookId: ID, $predictionId: ID, $first: Int) {\n    webhookDeliveries(webhookId: $webhookId, predictionId: $predictionId, first: $first) {\n      id\n      event\n      objectId\n      status\n      attempts\n      lastStatusCode\n      lastError\n      deliveredAt\n      nextAttemptAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebhookedPrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation WebhookedPrediction($input: CreatePredictionInput!) {\n    createPrediction(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebhookedTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation WebhookedTraining($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Budgets {\n    rateLimit {\n      minute {\n        remaining\n      }\n      writes {\n        minute {\n          limit\n          remaining\n        }\n        day {\n          limit\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Budgets {\n    rateLimit {\n      minute {\n        remaining\n      }\n      writes {\n        minute {\n          limit\n          remaining\n        }\n        day {\n          limit\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Quota {\n    me {\n      quota {\n        models {\n          used\n          limit\n        }\n        versions {\n          used\n          limit\n        }\n        storedBytes {\n          used\n          limit\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Quota {\n    me {\n      quota {\n        models {\n          used\n          limit\n        }\n        versions {\n          used\n          limit\n        }\n        storedBytes {\n          used\n          limit\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteModelForQuota($id: ID!) {\n    deleteModel(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteModelForQuota($id: ID!) {\n    deleteModel(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartTrainingLimited($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation StartTrainingLimited($input: StartTrainingInput!) {\n    startTraining(input: $input) {\n      id\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;